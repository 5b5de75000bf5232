"""Early detection programmes over the national data: familial hypercholesterolaemia and hereditary breast cancer.

Programmes are versioned policy data (``programmes/*.yaml``, validated by ``programmes/programme.schema.json``):
per gene the mode of inheritance, what counts as actionable, the maximum credible frequency and the risk class.
A run finds carriers in the variant store among current harmonised samples, with the national variant database's
consensus (as of a stated date) as the source of P/LP and the newest frequency release's FAF95 as a cap; it is
stored with the policy, classification and release versions it used, so that two runs can be compared. Relatives
of each carrier come from the catalogue's declared relationships (cascade worklists with a status per relative);
clinic capacity per region and programme decides what is released each month. Every read of a finding goes
through the access policy and is audited; persons who opted out of research or do not want to know are never
listed.
"""
