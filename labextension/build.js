// Builds the prebuilt extension into ../oci_magic/labextension with @jupyterlab/builder.
// The builder reads the JupyterLab core's package.json from --core-path; @jupyterlab/core-meta ships that
// file as core.package.json, so it is copied where the builder looks. No Python is needed for the build.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const modules = path.join(__dirname, 'node_modules', '@jupyterlab');
const core = fs.mkdtempSync(path.join(os.tmpdir(), 'oci-magic-core-'));
fs.copyFileSync(path.join(modules, 'core-meta', 'core.package.json'), path.join(core, 'package.json'));
const builder = path.join(modules, 'builder', 'lib', 'build-labextension.js');
execFileSync(process.execPath, [builder, '--core-path', core, ...process.argv.slice(2), __dirname], {
  stdio: 'inherit'
});
