from cppcc_common.migrations import run_env
from member_svc.tables import metadata

run_env(metadata, "MEMBER_DATABASE_URL")
