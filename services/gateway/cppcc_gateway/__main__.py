import uvicorn

from cppcc_common.settings import uvicorn_options
from cppcc_gateway.settings import Settings

if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["serve"]:
        raise SystemExit("usage: python -m cppcc_gateway serve")
    settings = Settings()
    uvicorn.run(
        "cppcc_gateway.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        log_config=None,
        **uvicorn_options(settings),
    )
