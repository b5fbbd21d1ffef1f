"""Where the lab's unit tests find their canned logs (lab/test_data/)."""

import os

TEST_DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "test_data")


def path(name):
    return os.path.join(TEST_DATA_DIR, name)


def read_log(name):
    with open(path(name)) as f:
        return f.read()
