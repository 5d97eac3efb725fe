"""The staff area (sign-in, cataloging, audit). ``router`` is mounted by ``web.app.create_app``."""

from fastapi import APIRouter

router = APIRouter()
