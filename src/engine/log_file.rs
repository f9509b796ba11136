//! The provisioning log's temporary file, written on a thread of its own.
//!
//! Past `KEEP_IN_MEMORY` records every record a cycle finishes is written to the file as a
//! JSON line. Written where the cycle appends it, that was a tenth of the harness's own
//! instructions per request under Okta (callgrind: an Okta record, with its steps and
//! modified properties, takes ~20,000 instructions to write), on the path between one
//! request and the next while the second core waited. The writer thread takes records in
//! the order they were appended; readers settle first (`LogFile::settled`), which waits for
//! every appended record to be written.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::log::LogRecord;

/// Records waiting for the writer before an append waits for it: memory stays bounded
/// (a record is ~1 KB) if the disk is slower than the cycle.
const QUEUE: usize = 1_024;

#[derive(Debug)]
pub(super) struct LogFile {
    state: State,
}

#[derive(Debug)]
enum State {
    /// Nothing is being written: the file is here.
    Idle(BufWriter<File>),
    /// The writer thread holds the file until it is settled.
    Writing {
        queue: SyncSender<LogRecord>,
        thread: JoinHandle<Option<Written>>,
    },
    /// The writer thread panicked with the file (a bug): appends are dropped, reads find
    /// nothing, and the error says so.
    Lost,
}

/// What the writer gives back: the file, and the first write that failed.
#[derive(Debug)]
struct Written {
    file: BufWriter<File>,
    error: Option<std::io::Error>,
}

impl LogFile {
    /// An unnamed temporary file: gone with the process, whatever ends it.
    pub(super) fn create() -> std::io::Result<LogFile> {
        let file = BufWriter::new(tempfile::tempfile()?);
        Ok(LogFile {
            state: State::Idle(file),
        })
    }

    /// Appends `rec`, on the writer thread when one can be started, here otherwise. An
    /// error of the thread's surfaces when the file is settled.
    pub(super) fn append(&mut self, rec: LogRecord) -> std::io::Result<()> {
        if let State::Idle(_) = self.state {
            self.start();
        }
        let rec = match &self.state {
            State::Writing { queue, .. } => match queue.send(rec) {
                Ok(()) => return Ok(()),
                // The thread is gone (it panicked): settling tells why.
                Err(back) => back.0,
            },
            _ => rec,
        };
        match &mut self.state {
            State::Idle(file) => write_line(file, &rec),
            _ => Ok(()),
        }
    }

    fn start(&mut self) {
        let State::Idle(file) = std::mem::replace(&mut self.state, State::Lost) else {
            return;
        };
        let (queue, records) = sync_channel::<LogRecord>(QUEUE);
        // The file waits in a slot the thread takes it from: a thread that cannot be
        // started drops its closure, and the file must not go with it.
        let slot = Arc::new(Mutex::new(Some(file)));
        let theirs = slot.clone();
        let spawned = std::thread::Builder::new()
            .name("scim-harness-log".into())
            .spawn(move || {
                let mut file = theirs.lock().ok()?.take()?;
                let mut error = None;
                for rec in records {
                    if let Err(e) = write_line(&mut file, &rec) {
                        error.get_or_insert(e);
                    }
                }
                Some(Written { file, error })
            });
        self.state = match spawned {
            Ok(thread) => State::Writing { queue, thread },
            Err(_) => match slot.lock().ok().and_then(|mut f| f.take()) {
                Some(file) => State::Idle(file),
                None => State::Lost,
            },
        };
    }

    /// Waits for every appended record to be written and flushed, and gives the file for
    /// reading; the writer starts again on the next append.
    pub(super) fn settled(&mut self) -> std::io::Result<&mut BufWriter<File>> {
        let mut failed = None;
        self.state = match std::mem::replace(&mut self.state, State::Lost) {
            State::Writing { queue, thread } => {
                // Dropping the queue ends the thread's loop once it has written the rest.
                drop(queue);
                match thread.join() {
                    Ok(Some(written)) => {
                        failed = written.error;
                        State::Idle(written.file)
                    }
                    _ => State::Lost,
                }
            }
            other => other,
        };
        if let Some(e) = failed {
            return Err(e);
        }
        match &mut self.state {
            State::Idle(file) => {
                file.flush()?;
                Ok(file)
            }
            _ => Err(std::io::Error::other(
                "the provisioning log's writer stopped with its file",
            )),
        }
    }
}

fn write_line(w: &mut BufWriter<File>, rec: &LogRecord) -> std::io::Result<()> {
    serde_json::to_writer(&mut *w, rec)?;
    w.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Seek, SeekFrom};

    fn objects(file: &mut BufWriter<File>) -> Vec<String> {
        let mut read = file.get_ref().try_clone().expect("clone");
        read.seek(SeekFrom::Start(0)).expect("seek");
        let objects = BufReader::new(&mut read)
            .lines()
            .map(|l| {
                let rec: LogRecord = serde_json::from_str(&l.expect("line")).expect("record");
                rec.object
            })
            .collect();
        read.seek(SeekFrom::End(0)).expect("seek");
        objects
    }

    /// More records than the queue holds (so appends wait for the writer), read back after
    /// settling in the order appended; appends after a read go on where it ended.
    #[test]
    fn records_are_written_in_order_and_read_whole_after_settling() {
        let mut log = LogFile::create().expect("temp file");
        let rec = |n: usize| LogRecord::new(1, &format!("u{n}"), format!("id-{n}"));
        for n in 0..QUEUE * 3 {
            log.append(rec(n)).expect("append");
        }
        assert!(
            matches!(log.state, State::Writing { .. }),
            "{:?}",
            log.state
        );
        let first = objects(log.settled().expect("settled"));
        let expected: Vec<String> = (0..QUEUE * 3).map(|n| format!("u{n}")).collect();
        assert_eq!(first, expected);

        log.append(rec(QUEUE * 3)).expect("append");
        let again = objects(log.settled().expect("settled"));
        assert_eq!(again.len(), QUEUE * 3 + 1);
        assert_eq!(
            again.last().map(String::as_str),
            Some(&*format!("u{}", QUEUE * 3))
        );
    }
}
