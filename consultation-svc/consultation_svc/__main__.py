from pathlib import Path

from consultation_svc.settings import Settings
from cppcc_common.cli import run_cli

run_cli(
    app_path="consultation_svc.main:create_app",
    settings=Settings(),
    migrations=Path(__file__).resolve().parent / "migrations",
)
