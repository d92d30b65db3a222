from cppcc_common.migrations import run_env
from proposal_svc.models import metadata

run_env(metadata, "PROPOSAL_DATABASE_URL")
