"""Wire schemas of the REST API: what goes over HTTP, mapped explicitly from the domain records."""
