import redis
from flask import Flask

app = Flask(__name__)
# "redis" is the database container's name: Docker's DNS resolves it on a shared network.
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


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=8080)
