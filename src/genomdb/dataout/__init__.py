"""Data-out: audited working copies (slices and whole files, re-encrypted for the recipient), htsget and DRS."""
