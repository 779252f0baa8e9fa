from pathlib import Path

import yaml
from flask import Flask

app = Flask(__name__)
settings = yaml.safe_load(Path(__file__).with_name("settings.yaml").read_text())


@app.get("/")
def index():
    return settings["greeting"]


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=settings["port"])
