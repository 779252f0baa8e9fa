from flask import Flask

app = Flask(__name__)


@app.get("/")
def index():
    return "Hello from Flask!"


@app.get("/status")
def status():
    return "OK"


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=8080)
