"""wrk scripts for the write paths, generated into the run's folder."""

import json
from pathlib import Path

DRAFT = {
    "title": "关于优化城市公交线网的建议",
    "situation": "部分新建小区距离最近公交站超过一公里，早晚高峰换乘不便。",
    "suggestions": ["新增社区微循环线路", "优化高峰时段发车间隔"],
}


def create_draft(folder: Path) -> Path:
    body = json.dumps(DRAFT, ensure_ascii=False).replace("\\", "\\\\").replace("'", "\\'")
    script = folder / "create_draft.lua"
    script.write_text(
        f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = \'{body}\'\n',
        encoding="utf-8",
    )
    return script


def submit(folder: Path, name: str, ids: list[str]) -> Path:
    """Submits each draft of `ids` once, in order; past the end it wraps (and is refused: counted as errors)."""
    id_file = folder / f"{name}.ids"
    id_file.write_text("\n".join(ids) + "\n")
    script = folder / f"{name}.lua"
    script.write_text(
        "local ids = {}\n"
        f'for line in io.lines("{id_file}") do ids[#ids + 1] = line end\n'
        "local i = 0\n"
        "request = function()\n"
        "  i = i + 1\n"
        "  local id = ids[((i - 1) % #ids) + 1]\n"
        '  return wrk.format("POST", "/api/v1/proposals/" .. id .. "/submit")\n'
        "end\n"
    )
    return script
