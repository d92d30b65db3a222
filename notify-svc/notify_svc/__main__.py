from pathlib import Path

from cppcc_common.cli import run_cli
from notify_svc.consumers import CONSUMERS
from notify_svc.settings import Settings

run_cli(
    app_path="notify_svc.main:create_app",
    settings=Settings(),
    migrations=Path(__file__).resolve().parent / "migrations",
    consumers=CONSUMERS,
)
