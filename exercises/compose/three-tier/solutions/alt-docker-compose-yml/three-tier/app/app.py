import signal
import sys

import redis
from flask import Flask

app = Flask(__name__)
# "redis" is the database service's name: Docker's DNS resolves it on a network they share.
db = redis.Redis(host="redis", port=6379, socket_connect_timeout=2, socket_timeout=2)


@app.get("/")
def index():
    return "Hello from flask-app!\n"


@app.get("/db")
def database():
    try:
        db.ping()
    except redis.exceptions.RedisError as error:
        return f"database unreachable: {error}\n", 503
    return "database: reachable\n"


@app.get("/visits")
def visits():
    try:
        count = db.incr("visits")
    except redis.exceptions.RedisError as error:
        return f"database unreachable: {error}\n", 503
    return f"visits: {count}\n"


if __name__ == "__main__":
    # As a container's first process, Python ignores SIGTERM unless told otherwise:
    # without this, docker compose down would wait 10 seconds and then kill the app.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app.run(host="0.0.0.0", port=8080)
