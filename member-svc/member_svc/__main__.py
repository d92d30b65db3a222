from pathlib import Path

from cppcc_common.cli import run_cli
from member_svc.demo import seed_demo
from member_svc.duty.consumers import CONSUMERS
from member_svc.operations import COMMANDS
from member_svc.settings import Settings

run_cli(
    app_path="member_svc.main:create_app",
    settings=Settings(),
    migrations=Path(__file__).resolve().parent / "migrations",
    seed_demo=seed_demo,
    consumers=CONSUMERS,
    commands=COMMANDS,
)
