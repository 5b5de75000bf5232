"""The service layer of the web service: one function per route, no FastAPI.

Each function takes the :class:`~genomdb.api.context.ServiceContext` and the :class:`~genomdb.api.context.Caller`,
asks the access policy wherever person-level data is touched, and returns domain records.
"""
