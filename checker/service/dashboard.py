"""The dashboard (server-rendered pages). Placeholder until the pages land."""

from __future__ import annotations

from fastapi import FastAPI

from .service import Service


def mount_dashboard(app: FastAPI, service: Service) -> None:
    del app, service
