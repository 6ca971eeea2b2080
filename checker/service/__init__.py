"""The almguard reporting service: scheduled scans, evidence history, gates and lineage
over HTTP (FastAPI), stored with SQLAlchemy in SQLite or PostgreSQL.

Needs the optional extra: pip install 'almguard[service]'.
"""
