"""Builds the static site: every pages/*.txt becomes an HTML page in the output folder
(default: public/), and pages/index.txt becomes index.html. Needs Python 3, nothing else."""
import html
import pathlib
import sys

TEMPLATE = """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta name="generator" content="build.py">
<title>{title}</title>
</head>
<body>
<h1>{title}</h1>
{body}
</body>
</html>
"""


def render(source: pathlib.Path) -> str:
    lines = source.read_text(encoding="utf-8").strip().splitlines()
    title = lines[0] if lines else source.stem
    paragraphs = "\n".join(f"<p>{html.escape(line)}</p>" for line in lines[1:] if line.strip())
    return TEMPLATE.format(title=html.escape(title), body=paragraphs)


def main() -> None:
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "public")
    out.mkdir(parents=True, exist_ok=True)
    pages = sorted(pathlib.Path("pages").glob("*.txt"))
    for page in pages:
        (out / f"{page.stem}.html").write_text(render(page), encoding="utf-8")
    print(f"built {len(pages)} pages into {out}")


if __name__ == "__main__":
    main()
