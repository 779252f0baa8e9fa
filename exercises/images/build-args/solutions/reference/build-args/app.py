import platform

from flask import Flask

app = Flask(__name__)


@app.get("/")
def index():
    return "Hello from Flask!"


@app.get("/version")
def version():
    return f"Python {platform.python_version()}"


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=8080)
