"""The console's pages, a router each (console/app.py mounts them under /console)."""

from console.pages import auth, complaints, inbox

ROUTERS = [auth.router, inbox.router, complaints.router]
