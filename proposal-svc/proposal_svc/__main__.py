from pathlib import Path

from cppcc_common.cli import run_cli
from proposal_svc.proposals.consumers import CONSUMERS
from proposal_svc.settings import Settings

run_cli(
    app_path="proposal_svc.main:create_app",
    settings=Settings(),
    migrations=Path(__file__).resolve().parent / "migrations",
    consumers=CONSUMERS,
)
