"""What the app and the embedded `qrt serve` agree on; imported by both, so it imports nothing."""

API_KEY_ENV = "QRT_SERVE_API_KEY"
READY_PREFIX = "qrt serve: listening on "
LOCAL_INSTANCE = "crn:v1:bluemix:public:quantum-computing:us-east:a/qrt-local:qrt-local-instance::"
LEGACY_INSTANCE = "ibm-q/open/main"
