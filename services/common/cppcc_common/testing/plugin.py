"""pytest plugin (registered by the `pytest11` entry point of cppcc-common).

Fixtures:
- `pg_server_url`: a real PostgreSQL server for the session — `DATABASE_URL` if set, else the
  embedded server under `<rootdir>/.data/test-pg` (kept between runs, so start-up is fast).
- `nats_url`: a real NATS JetStream server — `NATS_URL` if set, else a nats-server started for
  the session with its store in a temporary folder.
- `databases`: creates isolated databases: `databases.migrated(migrations_dir)` is a fresh copy of
  a template migrated once per migration history; `databases.empty()` an empty one.
- `module_nats_url`: a private nats-server for one test module.
- `issuer`: a `TestIssuer` signing tokens a service under test accepts.
- `nats_server_factory`: private nats-servers a test may stop and start (chaos tests).

Run in parallel (`pytest -n N`, pytest-xdist with `--dist loadgroup`, as `make test` does), a test
module stays on one worker, so its module-scoped servers and stacks are started once; the tests
that share the session's end-to-end stack (the `stack` fixture) stay together on one worker too.
Every worker shares the one embedded PostgreSQL (it counts the processes holding it) and starts its
own nats-server on a free port.
"""

import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from cppcc_common.migrations import upgrade
from cppcc_common.testing.servers import (
    NatsServer,
    admin,
    create_database,
    database_exists,
    drop_database,
    env_or,
    run_blocking,
    start_embedded_postgres,
    stop_embedded_postgres,
)
from cppcc_common.testing.tokens import TestIssuer


def _migrations_digest(migrations: Path) -> str:
    """Changes with the service's migrations and with the shared code they run."""
    import cppcc_common.messaging_schema
    import cppcc_common.migrations

    digest = hashlib.sha256()
    shared = [Path(cppcc_common.messaging_schema.__file__), Path(cppcc_common.migrations.__file__)]
    for path in [*sorted(migrations.rglob("*.py")), *shared]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "xdist_groups_first",
        type="linelist",
        default=[],
        help="xdist groups that start before the others under --dist loadgroup (the longest ones)",
    )


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """Under `--dist loadgroup`, the groups named by the `xdist_groups_first` ini option start first;
    the others keep xdist's order (most tests first), which puts groups of few but long tests last:
    they ended the run alone."""
    first = config.getini("xdist_groups_first")
    if config.getoption("dist", None) != "loadgroup" or not first:
        return None
    from xdist.scheduler import LoadGroupScheduling  # only where xdist runs the tests

    class FirstGroupsFirst(LoadGroupScheduling):  # type: ignore[misc]
        reordered = False

        def _assign_work_unit(self, node: object) -> None:
            if not self.reordered:  # the first assignment: the queue is complete, nothing sent yet
                self.reordered = True
                for group in reversed([g for g in first if g in self.workqueue]):
                    self.workqueue.move_to_end(group, last=False)
            super()._assign_work_unit(node)

    return FirstGroupsFirst(config, log)


def pytest_itemcollected(item: pytest.Item) -> None:
    """The xdist group of each test: its module, or "stack" when it uses the session's stack. Set as
    each test is collected: xdist reads the groups in its own `pytest_collection_modifyitems`."""
    if item.get_closest_marker("xdist_group") is None:
        group = "stack" if "stack" in getattr(item, "fixturenames", ()) else item.nodeid.split("::", 1)[0]
        item.add_marker(pytest.mark.xdist_group(group))


class Databases:
    """Creates databases for tests on one server and drops them at the end of the session."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.created: list[str] = []

    def empty(self, prefix: str = "t") -> str:
        name = f"t_{prefix}_{uuid.uuid4().hex[:10]}"
        url = create_database(self.server_url, name)
        self.created.append(name)
        return url

    def migrated(self, migrations: Path, prefix: str | None = None) -> str:
        """A fresh database with the service's migrations applied (copied from a template)."""
        prefix = prefix or migrations.parent.name.replace("-", "_")
        template = f"tmpl_{prefix}_{_migrations_digest(migrations)}"
        if not database_exists(self.server_url, template):
            building = f"{template}_build_{os.getpid()}"
            drop_database(self.server_url, building)
            target = create_database(self.server_url, building)
            run_blocking(lambda: upgrade(migrations, target))
            try:
                admin(self.server_url, f'ALTER DATABASE "{building}" RENAME TO "{template}"')
            # Another worker built the same template first: PostgreSQL says so as a duplicate database,
            # or, when both renames race in the catalog, as a unique violation of its name index.
            except (asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
                drop_database(self.server_url, building)
        name = f"t_{prefix}_{uuid.uuid4().hex[:10]}"
        url = create_database(self.server_url, name, template=template)
        self.created.append(name)
        return url

    def drop_all(self) -> None:
        for name in self.created:
            drop_database(self.server_url, name)
        self.created.clear()


@pytest.fixture(scope="session")
def pg_server_url(pytestconfig: pytest.Config) -> Iterator[str]:
    external = env_or("DATABASE_URL")
    if external:
        yield external
        return
    data_dir = Path(pytestconfig.rootpath) / ".data" / "test-pg"
    yield start_embedded_postgres(data_dir)
    stop_embedded_postgres(data_dir)


@pytest.fixture(scope="session")
def databases(pg_server_url: str) -> Iterator[Databases]:
    dbs = Databases(pg_server_url)
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = env_or("NATS_URL")
    if external:
        yield external
        return
    server = NatsServer(tmp_path_factory.mktemp("nats-store"))
    server.start()
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def issuer() -> TestIssuer:
    """Signs access tokens for a single service's tests (pass `issuer.key_source()` to the app)."""
    return TestIssuer()


@pytest.fixture(scope="module")
def module_nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private nats-server for one test module (durable consumers stay within the module)."""
    server = NatsServer(tmp_path_factory.mktemp("nats-module"))
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
def nats_server_factory(tmp_path: Path) -> Iterator[type[NatsServer]]:
    """Starts private nats-servers for one test; all are stopped when it ends."""
    started: list[NatsServer] = []

    class _Tracked(NatsServer):
        def start(self, timeout: float = 15.0) -> None:
            super().start(timeout)
            if self not in started:
                started.append(self)

    yield _Tracked
    for server in started:
        server.stop()
