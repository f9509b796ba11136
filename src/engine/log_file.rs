//! The provisioning log's temporary file, written on a thread of its own.
//!
//! Past `KEEP_IN_MEMORY` records every record a cycle finishes is written to the file as a
//! JSON line. Written where the cycle appends it, that was a tenth of the harness's own
//! instructions per request under Okta (callgrind: an Okta record, with its steps and
//! modified properties, takes ~20,000 instructions to write), on the path between one
//! request and the next while the second core waited. The writer thread takes records in
//! the order they were appended; readers settle first (`LogFile::settled`), which waits for
//! every appended record to be written. Records cross to the writer `BATCH` at a time: one
//! at a time, nearly every append found the writer asleep and paid a futex wake, a system call
//! on the path between two requests (perf, Okta at 100,000 users: the channel's send was 2 %
//! of the harness threads' samples).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::log::LogRecord;

/// Batches waiting for the writer before an append waits for it: memory stays bounded
/// (`QUEUE` × `BATCH` records of ~1 KB) if the disk is slower than the cycle.
const QUEUE: usize = 16;

/// Records handed to the writer at once.
const BATCH: usize = 64;

#[derive(Debug)]
pub(super) struct LogFile {
    state: State,
    /// Appended records not yet handed to the writer (fewer than `BATCH`).
    batch: Vec<LogRecord>,
}

#[derive(Debug)]
enum State {
    /// Nothing is being written: the file is here.
    Idle(BufWriter<File>),
    /// The writer thread holds the file until it is settled.
    Writing {
        queue: SyncSender<Vec<LogRecord>>,
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
            batch: Vec::new(),
        })
    }

    /// Appends `rec`, on the writer thread when one can be started, here otherwise. An
    /// error of the thread's surfaces when the file is settled.
    pub(super) fn append(&mut self, rec: LogRecord) -> std::io::Result<()> {
        if let State::Idle(_) = self.state {
            self.start();
        }
        if let State::Writing { .. } = self.state {
            self.batch.push(rec);
            if self.batch.len() >= BATCH {
                self.hand_over();
            }
            return Ok(());
        }
        match &mut self.state {
            State::Idle(file) => write_line(file, &rec),
            _ => Ok(()),
        }
    }

    /// Gives the pending batch to the writer thread. If the thread is gone (it panicked),
    /// the batch is dropped: settling tells why.
    fn hand_over(&mut self) {
        if let State::Writing { queue, .. } = &self.state {
            if !self.batch.is_empty() {
                let _ = queue.send(std::mem::replace(
                    &mut self.batch,
                    Vec::with_capacity(BATCH),
                ));
            }
        }
    }

    fn start(&mut self) {
        let State::Idle(file) = std::mem::replace(&mut self.state, State::Lost) else {
            return;
        };
        let (queue, batches) = sync_channel::<Vec<LogRecord>>(QUEUE);
        // The file waits in a slot the thread takes it from: a thread that cannot be
        // started drops its closure, and the file must not go with it.
        let slot = Arc::new(Mutex::new(Some(file)));
        let theirs = slot.clone();
        let spawned = std::thread::Builder::new()
            .name("scim-harness-log".into())
            .spawn(move || {
                let mut file = theirs.lock().ok()?.take()?;
                let mut error = None;
                for rec in batches.into_iter().flatten() {
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
        self.hand_over();
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

    /// More records than the queue holds (so appends wait for the writer), ending in a part
    /// batch, read back after settling in the order appended; appends after a read go on
    /// where it ended.
    #[test]
    fn records_are_written_in_order_and_read_whole_after_settling() {
        let mut log = LogFile::create().expect("temp file");
        let rec = |n: usize| LogRecord::new(1, &format!("u{n}"), format!("id-{n}"));
        let many = QUEUE * BATCH * 3 + 5;
        for n in 0..many {
            log.append(rec(n)).expect("append");
        }
        assert!(
            matches!(log.state, State::Writing { .. }),
            "{:?}",
            log.state
        );
        assert_eq!(log.batch.len(), 5, "the part batch waits for settling");
        let first = objects(log.settled().expect("settled"));
        let expected: Vec<String> = (0..many).map(|n| format!("u{n}")).collect();
        assert_eq!(first, expected);

        log.append(rec(many)).expect("append");
        let again = objects(log.settled().expect("settled"));
        assert_eq!(again.len(), many + 1);
        assert_eq!(again.last().map(String::as_str), Some(&*format!("u{many}")));
    }
}
