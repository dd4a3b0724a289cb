"""What the app and the embedded `qrt serve` agree on; imported by both, so it imports nothing."""

API_KEY_ENV = "QRT_SERVE_API_KEY"
READY_PREFIX = "qrt serve: listening on "
LOCAL_INSTANCE = "crn:v1:bluemix:public:quantum-computing:us-east:a/qrt-local:qrt-local-instance::"
LEGACY_INSTANCE = "ibm-q/open/main"
DATA_DIR_LOCK = "qrt-serve.lock"  # held by the one `qrt serve` running on a data dir
# Written by an embedded service (0600, in its private data dir): its URL, pid and per-run
# key, so that a `qrt` command reuses the service the app (or another command) started.
RENDEZVOUS_FILE = "embedded-service.json"


def hub_group_project(instance: str) -> tuple[str, str, str]:
    """The three parts of an older-API instance; ValueError unless it has exactly three."""
    parts = instance.split("/")
    if len(parts) != 3 or not all(part.strip() for part in parts):
        raise ValueError(f"'{instance}' is not of the form hub/group/project")
    hub, group, project = parts
    return hub, group, project
