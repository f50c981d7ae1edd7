"""The baseline for bench/webhook_ack.py: one POST route that reads the body and says 200."""

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/webhooks/<ats>/<public_id>")
def receive(ats: str, public_id: str):
    """Read the body and acknowledge it; nothing else."""
    request.get_data()
    return jsonify(status="accepted"), 200
