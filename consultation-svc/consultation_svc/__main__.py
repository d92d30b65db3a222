from pathlib import Path

from cppcc_common.cli import run_cli
from consultation_svc.settings import Settings

run_cli(app_path="consultation_svc.main:create_app", settings=Settings(),
        migrations=Path(__file__).resolve().parent / "migrations")
