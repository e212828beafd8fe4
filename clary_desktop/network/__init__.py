"""The HTTP set-up every request of the program shares: proxies, proxy credentials and
the certificates HTTPS trusts (config.py), and the clients built from it: requests
sessions (http.py) and huggingface_hub's client (hub_client.py). The clients load their
libraries, so they are imported only where a request is made."""
