//! The output folder opened once, and every path in it reached without following a symbolic
//! link: a repository can commit a link anywhere in the tree (`tenants/web -> /etc`, a linked
//! `.pave`), and pave must neither write, delete nor read for ownership through one.
//!
//! On Unix each folder on the way is opened relative to the one before with
//! `O_NOFOLLOW | O_DIRECTORY` (`openat`), and files are opened, renamed and removed relative to
//! their open folder (`openat`, `renameat`, `unlinkat`), so a link is refused by the kernel at
//! the moment of use, not by an earlier check a concurrent change could invalidate. The output
//! folder itself is the user's choice (`--out`, `spec.gitops.path`) and may be reached through a
//! link. Elsewhere each component is checked with `symlink_metadata` before use.
//!
//! Paths are relative, `/`-separated and checked by [`relative_path_problem`] by the callers that
//! take them from pave's state files.

use std::io;
use std::path::{Path, PathBuf};

/// Why a path in the output folder could not be used.
#[derive(Debug)]
pub(super) enum FsError {
    /// A component of the path (the path up to it, relative to the output folder) is a symbolic
    /// link.
    Symlink(String),
    /// The operation on the path failed.
    Io(String, io::Error),
}

impl FsError {
    fn io(path: &str, error: io::Error) -> FsError {
        FsError::Io(path.to_string(), error)
    }

    /// Whether this is a missing file or folder.
    pub(super) fn is_not_found(&self) -> bool {
        matches!(self, FsError::Io(_, e) if e.kind() == io::ErrorKind::NotFound)
    }
}

/// What a checked relative path is wrong with, if anything: pave's state files name paths inside
/// the output folder, and a path that is absolute, climbs out with `..`, or has an empty, `.` or
/// drive-like component is not one pave wrote.
pub(super) fn relative_path_problem(path: &str) -> Option<&'static str> {
    if path.is_empty() {
        return Some("an empty path");
    }
    if path.starts_with('/') {
        return Some("an absolute path");
    }
    if path.contains('\\') || path.contains('\0') || path.contains(':') {
        return Some("a path with `\\`, `:` or a NUL character");
    }
    for component in path.split('/') {
        match component {
            "" => return Some("a path with an empty component"),
            "." | ".." => return Some("a path with a `.` or `..` component"),
            _ => {}
        }
    }
    None
}

/// What the file system says about a regular file that changes whenever its contents can: size,
/// modification and status-change times (nanoseconds since the epoch), inode and device. The
/// status-change time cannot be set by a program, so a write followed by `touch -d` to restore
/// the modification time still changes the stamp, as long as the change is stamped later than the
/// recorded times (see `Stamp::settled_before`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stamp {
    pub(super) size: u64,
    pub(super) mtime: i128,
    pub(super) ctime: i128,
    pub(super) ino: u64,
    pub(super) dev: u64,
}

impl Stamp {
    /// Whether both times are before `time` (nanoseconds since the epoch): then any later change
    /// to the file, stamped at least at `time` less the file system's granularity, gives it a
    /// different stamp.
    pub(super) fn settled_before(&self, time: i128) -> bool {
        self.mtime < time && self.ctime < time
    }

    /// The stamp as bytes, for a digest.
    pub(super) fn bytes(&self) -> [u8; 56] {
        let mut out = [0; 56];
        out[..8].copy_from_slice(&self.size.to_le_bytes());
        out[8..24].copy_from_slice(&self.mtime.to_le_bytes());
        out[24..40].copy_from_slice(&self.ctime.to_le_bytes());
        out[40..48].copy_from_slice(&self.ino.to_le_bytes());
        out[48..].copy_from_slice(&self.dev.to_le_bytes());
        out
    }
}

/// Splits `a/b/c.yaml` into `("a/b", "c.yaml")` (`""` for a file at the top).
pub(super) fn split_parent(path: &str) -> (&str, &str) {
    path.rsplit_once('/').unwrap_or(("", path))
}

fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}/{name}")
    }
}

/// What is at a path, not following a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Entry {
    /// A regular file, with its stamp where the platform gives a sound one (Unix).
    File {
        size: u64,
        stamp: Option<Stamp>,
    },
    Dir,
    Symlink,
    Other,
}

#[cfg(unix)]
mod imp {
    use std::fs::File;
    use std::io::{self, Read as _, Write as _};
    use std::path::Path;

    use rustix::fd::OwnedFd;
    use rustix::fs::{AtFlags, FileType, Mode, OFlags};
    use rustix::io::Errno;

    use super::{Entry, FsError, Stamp, join};

    const DIR_FLAGS: OFlags = OFlags::RDONLY
        .union(OFlags::DIRECTORY)
        .union(OFlags::NOFOLLOW)
        .union(OFlags::CLOEXEC);

    /// An open folder inside the output folder (or the output folder itself), with its path
    /// relative to it for messages.
    pub(in crate::cli::write) struct Dir {
        fd: OwnedFd,
        rel: String,
    }

    fn entry_of(stat: &rustix::fs::Stat) -> Entry {
        match FileType::from_raw_mode(stat.st_mode) {
            // The stat fields' types differ across Unix platforms.
            #[allow(clippy::unnecessary_cast)]
            FileType::RegularFile => {
                let size = u64::try_from(stat.st_size).unwrap_or_default();
                let nanos =
                    |secs: i64, nsec: i64| i128::from(secs) * 1_000_000_000 + i128::from(nsec);
                Entry::File {
                    size,
                    stamp: Some(Stamp {
                        size,
                        mtime: nanos(stat.st_mtime as i64, stat.st_mtime_nsec as i64),
                        ctime: nanos(stat.st_ctime as i64, stat.st_ctime_nsec as i64),
                        ino: stat.st_ino as u64,
                        dev: stat.st_dev as u64,
                    }),
                }
            }
            FileType::Directory => Entry::Dir,
            FileType::Symlink => Entry::Symlink,
            _ => Entry::Other,
        }
    }

    impl Dir {
        /// Opens the output folder itself (following a link: the user chose it).
        pub(in crate::cli::write) fn open_root(path: &Path) -> io::Result<Dir> {
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
            let fd = rustix::fs::open(path, flags, Mode::empty())?;
            Ok(Dir {
                fd,
                rel: String::new(),
            })
        }

        /// This folder again, as a second handle.
        pub(in crate::cli::write) fn reopen(&self) -> Result<Dir, FsError> {
            rustix::fs::openat(&self.fd, ".", DIR_FLAGS, Mode::empty())
                .map(|fd| Dir {
                    fd,
                    rel: self.rel.clone(),
                })
                .map_err(|errno| FsError::io(&self.rel, errno.into()))
        }

        /// The path of `name` in this folder, relative to the output folder.
        pub(in crate::cli::write) fn rel_of(&self, name: &str) -> String {
            join(&self.rel, name)
        }

        /// Turns an error on `name` into an [`FsError`], naming a link as such.
        fn error(&self, name: &str, errno: Errno) -> FsError {
            let path = self.rel_of(name);
            // `O_NOFOLLOW` on a link fails with ELOOP (Linux, macOS) or EMLINK (FreeBSD); with
            // `O_DIRECTORY` some systems say ENOTDIR. Look before naming it.
            if matches!(errno, Errno::LOOP | Errno::MLINK | Errno::NOTDIR)
                && self.entry(name).ok().flatten() == Some(Entry::Symlink)
            {
                return FsError::Symlink(path);
            }
            FsError::io(&path, errno.into())
        }

        /// The folder `name` in this one; a link is refused.
        pub(in crate::cli::write) fn sub(&self, name: &str) -> Result<Dir, FsError> {
            match rustix::fs::openat(&self.fd, name, DIR_FLAGS, Mode::empty()) {
                Ok(fd) => Ok(Dir {
                    fd,
                    rel: self.rel_of(name),
                }),
                Err(errno) => Err(self.error(name, errno)),
            }
        }

        /// The folder `name` in this one, created if missing; a link is refused.
        pub(in crate::cli::write) fn sub_create(&self, name: &str) -> Result<Dir, FsError> {
            match rustix::fs::mkdirat(&self.fd, name, Mode::from_raw_mode(0o777)) {
                Ok(()) | Err(Errno::EXIST) => self.sub(name),
                Err(errno) => Err(self.error(name, errno)),
            }
        }

        /// What `name` is, or `None` when nothing is there.
        pub(in crate::cli::write) fn entry(&self, name: &str) -> Result<Option<Entry>, FsError> {
            match rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(stat) => Ok(Some(entry_of(&stat))),
                Err(Errno::NOENT) => Ok(None),
                Err(errno) => Err(FsError::io(&self.rel_of(name), errno.into())),
            }
        }

        fn open_file(&self, name: &str) -> Result<File, FsError> {
            let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            match rustix::fs::openat(&self.fd, name, flags, Mode::empty()) {
                Ok(fd) => Ok(File::from(fd)),
                Err(errno) => Err(self.error(name, errno)),
            }
        }

        /// The contents of the regular file `name` (a link is refused).
        pub(in crate::cli::write) fn read(&self, name: &str) -> Result<Vec<u8>, FsError> {
            let mut file = self.open_file(name)?;
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes)
                .map_err(|e| FsError::io(&self.rel_of(name), e))?;
            Ok(bytes)
        }

        /// The first `n` bytes (or fewer) of the file `name`.
        pub(in crate::cli::write) fn read_start(
            &self,
            name: &str,
            n: usize,
        ) -> Result<Vec<u8>, FsError> {
            let file = self.open_file(name)?;
            let mut bytes = Vec::with_capacity(n);
            file.take(n as u64)
                .read_to_end(&mut bytes)
                .map_err(|e| FsError::io(&self.rel_of(name), e))?;
            Ok(bytes)
        }

        /// Creates or truncates the file `name` and writes `contents` (a link is refused).
        pub(in crate::cli::write) fn write(
            &self,
            name: &str,
            contents: &[u8],
            sync: bool,
        ) -> Result<(), FsError> {
            let flags = OFlags::WRONLY
                | OFlags::CREATE
                | OFlags::TRUNC
                | OFlags::NOFOLLOW
                | OFlags::CLOEXEC;
            let fd = rustix::fs::openat(&self.fd, name, flags, Mode::from_raw_mode(0o666))
                .map_err(|errno| self.error(name, errno))?;
            let mut file = File::from(fd);
            file.write_all(contents)
                .and_then(|()| if sync { file.sync_all() } else { Ok(()) })
                .map_err(|e| FsError::io(&self.rel_of(name), e))
        }

        /// Opens (creating) the file `name` for writing without truncating it, for a lock.
        pub(in crate::cli::write) fn open_lock_file(&self, name: &str) -> Result<File, FsError> {
            let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            rustix::fs::openat(&self.fd, name, flags, Mode::from_raw_mode(0o666))
                .map(File::from)
                .map_err(|errno| self.error(name, errno))
        }

        /// Removes the file (or link) `name`; a folder is refused.
        pub(in crate::cli::write) fn remove_file(&self, name: &str) -> Result<(), FsError> {
            rustix::fs::unlinkat(&self.fd, name, AtFlags::empty())
                .map_err(|errno| FsError::io(&self.rel_of(name), errno.into()))
        }

        /// Removes the folder `name` if it is empty; whether it did.
        pub(in crate::cli::write) fn remove_empty_dir(&self, name: &str) -> bool {
            rustix::fs::unlinkat(&self.fd, name, AtFlags::REMOVEDIR).is_ok()
        }

        /// Removes `name` and, for a folder, everything in it, never following a link (a link is
        /// removed, not what it points to). Nothing there is not an error.
        pub(in crate::cli::write) fn remove_all(&self, name: &str) -> Result<(), FsError> {
            match self.entry(name)? {
                None => Ok(()),
                Some(Entry::Dir) => {
                    let sub = self.sub(name)?;
                    for child in sub.names()? {
                        sub.remove_all(&child)?;
                    }
                    rustix::fs::unlinkat(&self.fd, name, AtFlags::REMOVEDIR)
                        .map_err(|errno| FsError::io(&self.rel_of(name), errno.into()))
                }
                Some(_) => self.remove_file(name),
            }
        }

        /// The names in this folder, sorted.
        pub(in crate::cli::write) fn names(&self) -> Result<Vec<String>, FsError> {
            let fd = rustix::fs::openat(&self.fd, ".", DIR_FLAGS, Mode::empty())
                .map_err(|errno| FsError::io(&self.rel, errno.into()))?;
            let dir =
                rustix::fs::Dir::new(fd).map_err(|errno| FsError::io(&self.rel, errno.into()))?;
            let mut names = Vec::new();
            for entry in dir {
                let entry = entry.map_err(|errno| FsError::io(&self.rel, errno.into()))?;
                let name = entry.file_name().to_string_lossy();
                if name != "." && name != ".." {
                    names.push(name.into_owned());
                }
            }
            names.sort_unstable();
            Ok(names)
        }

        /// Renames `name` in this folder to `to_name` in `to`, replacing a file there (a link
        /// there is replaced, not followed).
        pub(in crate::cli::write) fn rename(
            &self,
            name: &str,
            to: &Dir,
            to_name: &str,
        ) -> Result<(), FsError> {
            rustix::fs::renameat(&self.fd, name, &to.fd, to_name)
                .map_err(|errno| FsError::io(&to.rel_of(to_name), errno.into()))
        }
    }
}

#[cfg(not(unix))]
mod imp {
    use std::fs::{self, File};
    use std::io::{self, Read as _, Write as _};
    use std::path::{Path, PathBuf};

    use super::{Entry, FsError, join};

    /// A folder inside the output folder, by its whole path; each component was checked not to
    /// be a link when it was reached.
    pub(in crate::cli::write) struct Dir {
        path: PathBuf,
        rel: String,
    }

    fn entry_of(meta: &fs::Metadata) -> Entry {
        let file_type = meta.file_type();
        if file_type.is_symlink() {
            Entry::Symlink
        } else if file_type.is_dir() {
            Entry::Dir
        } else if file_type.is_file() {
            // No status-change time here: no stamp, so every check reads the file.
            Entry::File {
                size: meta.len(),
                stamp: None,
            }
        } else {
            Entry::Other
        }
    }

    impl Dir {
        pub(in crate::cli::write) fn open_root(path: &Path) -> io::Result<Dir> {
            if fs::metadata(path)?.is_dir() {
                Ok(Dir {
                    path: path.to_path_buf(),
                    rel: String::new(),
                })
            } else {
                Err(io::Error::new(io::ErrorKind::NotADirectory, "not a folder"))
            }
        }

        pub(in crate::cli::write) fn reopen(&self) -> Result<Dir, FsError> {
            Ok(Dir {
                path: self.path.clone(),
                rel: self.rel.clone(),
            })
        }

        pub(in crate::cli::write) fn rel_of(&self, name: &str) -> String {
            join(&self.rel, name)
        }

        fn checked(&self, name: &str) -> Result<PathBuf, FsError> {
            if self.entry(name)? == Some(Entry::Symlink) {
                return Err(FsError::Symlink(self.rel_of(name)));
            }
            Ok(self.path.join(name))
        }

        pub(in crate::cli::write) fn sub(&self, name: &str) -> Result<Dir, FsError> {
            let path = self.checked(name)?;
            match self.entry(name)? {
                Some(Entry::Dir) => Ok(Dir {
                    path,
                    rel: self.rel_of(name),
                }),
                None => Err(FsError::io(
                    &self.rel_of(name),
                    io::ErrorKind::NotFound.into(),
                )),
                Some(_) => Err(FsError::io(
                    &self.rel_of(name),
                    io::ErrorKind::NotADirectory.into(),
                )),
            }
        }

        pub(in crate::cli::write) fn sub_create(&self, name: &str) -> Result<Dir, FsError> {
            let path = self.checked(name)?;
            match fs::create_dir(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(FsError::io(&self.rel_of(name), e)),
            }
            self.sub(name)
        }

        pub(in crate::cli::write) fn entry(&self, name: &str) -> Result<Option<Entry>, FsError> {
            match fs::symlink_metadata(self.path.join(name)) {
                Ok(meta) => Ok(Some(entry_of(&meta))),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(FsError::io(&self.rel_of(name), e)),
            }
        }

        pub(in crate::cli::write) fn read(&self, name: &str) -> Result<Vec<u8>, FsError> {
            let path = self.checked(name)?;
            fs::read(path).map_err(|e| FsError::io(&self.rel_of(name), e))
        }

        pub(in crate::cli::write) fn read_start(
            &self,
            name: &str,
            n: usize,
        ) -> Result<Vec<u8>, FsError> {
            let path = self.checked(name)?;
            let mut bytes = Vec::with_capacity(n);
            File::open(path)
                .and_then(|file| file.take(n as u64).read_to_end(&mut bytes))
                .map_err(|e| FsError::io(&self.rel_of(name), e))?;
            Ok(bytes)
        }

        pub(in crate::cli::write) fn write(
            &self,
            name: &str,
            contents: &[u8],
            sync: bool,
        ) -> Result<(), FsError> {
            let path = self.checked(name)?;
            File::create(path)
                .and_then(|mut file| {
                    file.write_all(contents)?;
                    if sync { file.sync_all() } else { Ok(()) }
                })
                .map_err(|e| FsError::io(&self.rel_of(name), e))
        }

        pub(in crate::cli::write) fn open_lock_file(&self, name: &str) -> Result<File, FsError> {
            let path = self.checked(name)?;
            fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(path)
                .map_err(|e| FsError::io(&self.rel_of(name), e))
        }

        pub(in crate::cli::write) fn remove_file(&self, name: &str) -> Result<(), FsError> {
            fs::remove_file(self.path.join(name)).map_err(|e| FsError::io(&self.rel_of(name), e))
        }

        pub(in crate::cli::write) fn remove_empty_dir(&self, name: &str) -> bool {
            fs::remove_dir(self.path.join(name)).is_ok()
        }

        pub(in crate::cli::write) fn remove_all(&self, name: &str) -> Result<(), FsError> {
            match self.entry(name)? {
                None => Ok(()),
                // std's `remove_dir_all` does not follow links inside the folder.
                Some(Entry::Dir) => fs::remove_dir_all(self.path.join(name))
                    .map_err(|e| FsError::io(&self.rel_of(name), e)),
                Some(_) => self.remove_file(name),
            }
        }

        pub(in crate::cli::write) fn names(&self) -> Result<Vec<String>, FsError> {
            let mut names = Vec::new();
            for entry in fs::read_dir(&self.path).map_err(|e| FsError::io(&self.rel, e))? {
                let entry = entry.map_err(|e| FsError::io(&self.rel, e))?;
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
            names.sort_unstable();
            Ok(names)
        }

        pub(in crate::cli::write) fn rename(
            &self,
            name: &str,
            to: &Dir,
            to_name: &str,
        ) -> Result<(), FsError> {
            fs::rename(self.path.join(name), to.checked(to_name)?)
                .map_err(|e| FsError::io(&to.rel_of(to_name), e))
        }
    }
}

pub(super) use imp::Dir;

/// The output folder, open.
pub(super) struct RootDir {
    path: PathBuf,
    dir: Dir,
}

impl RootDir {
    /// Opens the folder at `path`; `None` when there is none.
    pub(super) fn open(path: &Path) -> io::Result<Option<RootDir>> {
        match Dir::open_root(path) {
            Ok(dir) => Ok(Some(RootDir {
                path: path.to_path_buf(),
                dir,
            })),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// The output folder itself.
    pub(super) fn top(&self) -> &Dir {
        &self.dir
    }

    /// The folder at `rel` (`""` is the output folder), each component reached without following
    /// a link; created on the way when `create`.
    pub(super) fn dir(&self, rel: &str, create: bool) -> Result<Dir, FsError> {
        descend(&self.dir, rel, create)
    }

    /// The contents of the file at `rel`; `Ok(None)` when it or a folder on the way is missing.
    pub(super) fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, FsError> {
        let (parent, name) = split_parent(rel);
        let result = self.dir(parent, false).and_then(|dir| dir.read(name));
        match result {
            Ok(bytes) => Ok(Some(bytes)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// What is at `rel`, or `None` when it or a folder on the way is missing.
    pub(super) fn entry(&self, rel: &str) -> Result<Option<Entry>, FsError> {
        let (parent, name) = split_parent(rel);
        match self.dir(parent, false) {
            Ok(dir) => dir.entry(name),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }
}

/// The folder at `rel` under `base` (`""` is `base` itself), each component reached without
/// following a link; created on the way when `create`.
pub(super) fn descend(base: &Dir, rel: &str, create: bool) -> Result<Dir, FsError> {
    let mut parts = rel.split('/').filter(|p| !p.is_empty());
    let Some(first) = parts.next() else {
        return base.reopen();
    };
    let step = |dir: &Dir, name: &str| {
        if create {
            dir.sub_create(name)
        } else {
            dir.sub(name)
        }
    };
    let mut dir = step(base, first)?;
    for part in parts {
        dir = step(&dir, part)?;
    }
    Ok(dir)
}
