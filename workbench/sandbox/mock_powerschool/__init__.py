"""A mock PowerSchool server for the sandbox district: real HTTP on 127.0.0.1.

    from workbench.sandbox.mock_powerschool import serve_mock
    with serve_mock(students=300, seed=1) as ps:        # or serve_mock("path/to/extract")
        ps.url, ps.client_id, ps.client_secret           # what a PowerSchool client needs
        ps.faults.rate_limit_every = 5                   # faults can be switched on at any time
        ps.requests["GET /ws/schema/table/students"]     # requests counted per path

OAuth client credentials, ``/ws/v1`` (metadata, time, schools, students, sections, staff, courses,
terms, section enrollments), ``/ws/contacts``, ``/ws/schema/table`` and PowerQueries from plugins
(``load_plugin``), with their access_request enforced; see docs/powerschool_api.md ("Mock server").
"""

from workbench.sandbox.mock_powerschool.context import Options
from workbench.sandbox.mock_powerschool.faults import Faults
from workbench.sandbox.mock_powerschool.plugins import NamedQuery, Plugin, load_plugin, plugin_xml
from workbench.sandbox.mock_powerschool.rostering import rostering_plugin, write_rostering_plugin
from workbench.sandbox.mock_powerschool.server import MockServer, build_server, serve_mock

__all__ = ["Faults", "MockServer", "NamedQuery", "Options", "Plugin", "build_server", "load_plugin", "plugin_xml",
           "rostering_plugin", "serve_mock", "write_rostering_plugin"]
