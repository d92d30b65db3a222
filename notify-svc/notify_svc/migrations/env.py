from cppcc_common.migrations import run_env
from notify_svc.models import metadata

run_env(metadata, "NOTIFY_DATABASE_URL")
