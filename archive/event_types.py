"""The names of the events the outbox (archive/outbox.py) records and [notify] targets
subscribe to. A module of its own: loading the config file reads them without importing
the catalog's SQL layer."""

from __future__ import annotations

VERSION_EVENTS = {"new": "version.new", "edit": "version.edit", "revert": "version.revert"}
SUSPECT_EVENT = "capture.suspect"
SITE_UNHEALTHY, SITE_HEALTHY = "site.unhealthy", "site.healthy"
TEST_EVENT = "test"
EVENT_TYPES = (*VERSION_EVENTS.values(), SUSPECT_EVENT, SITE_UNHEALTHY, SITE_HEALTHY, TEST_EVENT)
