from consultation_svc.models import metadata
from cppcc_common.migrations import run_env

run_env(metadata, "CONSULTATION_DATABASE_URL")
