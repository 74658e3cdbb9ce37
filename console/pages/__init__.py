"""The console's pages, a router each (console/app.py mounts them under /console)."""

from console.pages import auth, complaints, customers, inbox, projects, reports

ROUTERS = [auth.router, inbox.router, complaints.router, projects.router, customers.router, reports.router]
