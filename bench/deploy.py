# The benchmark's standard play for pyinfra: the same 10 steps as play.eov.
# pyinfra plans from facts read before any operation runs, so "set a mode when the file
# exists" is expressed as the template's mode (the file always exists after it).
from io import StringIO

from pyinfra import host
from pyinfra.facts.server import Command
from pyinfra.operations import files, server

root = host.data.root
tvars = dict(app_name="eovbench", app_port=8080, app_owner="ops", inventory_hostname=host.name)

files.directory(name="directory", path=f"{root}/app", mode="755")
files.put(name="small file", src=StringIO("managed by the benchmark\n"), dest=f"{root}/app/motd")
files.template(name="template 1", src="templates/app.conf.j2", dest=f"{root}/app/app.conf", mode="640", **tvars)
files.line(name="lineinfile", path=f"{root}/app/settings", line="tuned = yes")
uname = host.get_fact(Command, "uname -a")
if "Linux" in uname:
    server.shell(name="conditional", commands=[f"test -e {root}/app/linux || touch {root}/app/linux"])
files.template(name="template 2", src="templates/second.conf.j2", dest=f"{root}/app/second.conf", **tvars)
server.shell(name="final", commands=[f"test -e {root}/app/done || touch {root}/app/done"])
