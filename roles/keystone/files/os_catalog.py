#!/usr/bin/python3
"""Makes Keystone's catalog match a desired state read as JSON on stdin.

Installed by eov's `keystone` role. Authenticates from the OS_* environment (admin), creates
or updates what differs (projects, service users and their passwords and roles, services,
endpoints) and prints one `changed: ...` line per change, or `ok` when nothing differed.
Passwords arrive on stdin, never on the command line.
"""
import json
import sys

import openstack
from keystoneauth1 import exceptions, session
from keystoneauth1.identity import v3


def password_works(auth_url, name, password):
    auth = v3.Password(auth_url=auth_url, username=name, password=password,
                       user_domain_id="default")
    try:
        session.Session(auth=auth).get_token()
        return True
    except exceptions.Unauthorized:
        return False


def main():
    want = json.load(sys.stdin)
    conn = openstack.connect()
    ident = conn.identity
    auth_url = conn.config.config["auth"]["auth_url"]
    changes = []

    projects = {}
    for name in want.get("projects", []):
        project = ident.find_project(name, domain_id="default")
        if project is None:
            project = ident.create_project(name=name, domain_id="default",
                                           description="made by eov")
            changes.append(f"project {name}")
        projects[name] = project

    for u in want.get("users", []):
        project = projects.get(u["project"]) or ident.find_project(
            u["project"], domain_id="default", ignore_missing=False)
        user = ident.find_user(u["name"], domain_id="default")
        if user is None:
            user = ident.create_user(name=u["name"], password=u["password"],
                                     domain_id="default", default_project_id=project.id)
            changes.append(f"user {u['name']}")
        elif not password_works(auth_url, u["name"], u["password"]):
            ident.update_user(user, password=u["password"])
            changes.append(f"password of {u['name']}")
        role = ident.find_role(u["role"], ignore_missing=False)
        if not ident.validate_user_has_project_role(project, user, role):
            ident.assign_project_role_to_user(project, user, role)
            changes.append(f"role {u['role']} of {u['name']} on {u['project']}")

    region = want.get("region", "RegionOne")
    for s in want.get("services", []):
        service = next((x for x in ident.services()
                        if x.name == s["name"] and x.type == s["type"]), None)
        if service is None:
            service = ident.create_service(name=s["name"], type=s["type"],
                                           description=s.get("description", s["name"]))
            changes.append(f"service {s['name']}")
        for interface, url in s["endpoints"].items():
            found = [e for e in ident.endpoints(service_id=service.id, interface=interface)
                     if e.region_id == region]
            if not found:
                ident.create_endpoint(service_id=service.id, interface=interface, url=url,
                                      region_id=region)
                changes.append(f"endpoint {s['name']} {interface}")
            elif found[0].url != url:
                ident.update_endpoint(found[0], url=url)
                changes.append(f"endpoint {s['name']} {interface} url")

    for line in changes or ["ok"]:
        print(line if line == "ok" else f"changed: {line}")


if __name__ == "__main__":
    main()
