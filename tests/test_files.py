"""The one atomic-output helper: files and folders appear complete or not at all, with the
permissions a plain open / mkdir gives, and an output-folder flag given a file is refused."""

from __future__ import annotations

import os
import stat

import pytest

from colorization_tf import files


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_atomic_path_publishes_on_success_with_usual_permissions(tmp_path):
    target = tmp_path / "sub" / "model.weights.h5"
    with files.atomic_path(str(target)) as tmp:
        assert os.path.basename(tmp).startswith(files.TEMPORARY_PREFIX)
        assert tmp.endswith(".weights.h5") and not target.exists()
        with open(tmp, "w") as handle:
            handle.write("done")
    assert target.read_text() == "done"
    assert _mode(target) == 0o666 & ~files.umask()
    assert os.listdir(target.parent) == ["model.weights.h5"]


def test_atomic_path_leaves_the_old_file_when_the_block_fails(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), files.atomic_path(str(target)) as tmp:
        with open(tmp, "w") as handle:
            handle.write("half")
        raise RuntimeError("killed")
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["out.txt"]


def test_atomic_directory_replaces_a_folder_or_leaves_it(tmp_path):
    target = tmp_path / "saved_model"
    target.mkdir()
    (target / "stale.pb").write_text("old")
    with pytest.raises(RuntimeError), files.atomic_directory(str(target)) as tmp:
        open(os.path.join(tmp, "new.pb"), "w").close()
        raise RuntimeError("failed export")
    assert sorted(os.listdir(target)) == ["stale.pb"] and os.listdir(tmp_path) == ["saved_model"]
    with files.atomic_directory(str(target)) as tmp:
        open(os.path.join(tmp, "new.pb"), "w").close()
    assert sorted(os.listdir(target)) == ["new.pb"] and os.listdir(tmp_path) == ["saved_model"]
    assert _mode(target) == 0o777 & ~files.umask()


def test_output_folder_flag_given_a_file_is_refused(tmp_path):
    afile = tmp_path / "photo.jpg"
    afile.write_bytes(b"x")
    with pytest.raises(ValueError, match=r"^--output_dir=.*photo.jpg is a file; expected a "
                                         "folder"):
        files.require_directory_path(str(afile), "--output_dir")
    files.require_directory_path(str(tmp_path), "--output_dir")  # a folder
    files.require_directory_path(str(tmp_path / "new"), "--output_dir")  # to be made
