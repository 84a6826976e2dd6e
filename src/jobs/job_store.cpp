#include "jobs/job_store.h"

#include <algorithm>

#include <sqlite3.h>

#include <array>
#include <chrono>
#include <ctime>
#include <random>

#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"
#include "util/utc_time.h"

namespace mlbox::jobs {

namespace stdfs = std::filesystem;

namespace {

constexpr std::array<const char*, 9> kStateNames = {"SUBMITTED", "QUEUED",    "STARTING",
                                                    "RUNNING",   "PREEMPTED", "RETRYING",
                                                    "SUCCEEDED", "FAILED",    "CANCELLED"};

// A prepared statement, finalized on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
      throw Error(ErrorKind::kInternal, std::string("job store: ") + sqlite3_errmsg(db));
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int i, int v) {
    sqlite3_bind_int(stmt_, i, v);
    return *this;
  }
  Statement& bind_null(int i) {
    sqlite3_bind_null(stmt_, i);
    return *this;
  }
  // true: a row is available.
  bool step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw Error(ErrorKind::kInternal, std::string("job store: ") + sqlite3_errmsg(db_),
                "another mlbox may hold the job database for long; try again");
  }
  std::string text(int col) const {
    const unsigned char* t = sqlite3_column_text(stmt_, col);
    return t ? reinterpret_cast<const char*>(t) : "";
  }
  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  int integer(int col) const { return sqlite3_column_int(stmt_, col); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back on exception.
class WriteTransaction {
 public:
  explicit WriteTransaction(sqlite3* db) : db_(db) { run("BEGIN IMMEDIATE"); }
  ~WriteTransaction() {
    if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    run("COMMIT");
    done_ = true;
  }

 private:
  void run(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown";
      sqlite3_free(err);
      throw Error(ErrorKind::kInternal, std::string("job store: ") + sql + ": " + msg);
    }
  }
  sqlite3* db_;
  bool done_ = false;
};

constexpr const char* kJobColumns =
    "id, name, backend, image_ref, image_digest, state, output_dir, details, created_at, "
    "updated_at";

JobRecord row_to_record(Statement& s) {
  JobRecord r;
  r.id = s.text(0);
  r.name = s.text(1);
  r.backend = s.text(2);
  r.image_ref = s.text(3);
  r.image_digest = s.text(4);
  r.state = parse_job_state(s.text(5));
  r.output_dir = s.text(6);
  r.details = nlohmann::json::parse(s.text(7), nullptr, false);
  if (r.details.is_discarded()) r.details = nlohmann::json::object();
  r.created_at = s.text(8);
  r.updated_at = s.text(9);
  return r;
}

}  // namespace

const char* to_string(JobState state) {
  return kStateNames[static_cast<size_t>(state)];
}

JobState parse_job_state(std::string_view name) {
  for (size_t i = 0; i < kStateNames.size(); ++i) {
    if (name == kStateNames[i]) return static_cast<JobState>(i);
  }
  throw Error(ErrorKind::kInternal, "job store: unknown job state '" + std::string(name) + "'");
}

bool is_terminal(JobState s) {
  return s == JobState::kSucceeded || s == JobState::kFailed || s == JobState::kCancelled;
}

std::string new_job_id(std::string_view backend) {
  std::string date = format_utc(static_cast<int64_t>(std::time(nullptr)), "%Y%m%d");
  std::random_device rd;
  char hex[8];
  std::snprintf(hex, sizeof hex, "%06x", rd() & 0xffffffu);
  return std::string(backend) + "-" + date + "-" + hex;
}

nlohmann::json JobRecord::to_json() const {
  nlohmann::json attempts_json = nlohmann::json::array();
  for (const auto& a : attempts) {
    nlohmann::json j = {{"number", a.number}, {"started_at", a.started_at}};
    j["ended_at"] = a.ended_at.empty() ? nlohmann::json() : nlohmann::json(a.ended_at);
    j["exit_code"] = a.exit_code ? nlohmann::json(*a.exit_code) : nlohmann::json();
    j["outcome"] = a.outcome.empty() ? nlohmann::json() : nlohmann::json(a.outcome);
    attempts_json.push_back(j);
  }
  return {{"id", id},
          {"name", name},
          {"backend", backend},
          {"image", image_ref},
          {"image_digest", image_digest},
          {"state", jobs::to_string(state)},
          {"output_dir", output_dir},
          {"details", details},
          {"created_at", created_at},
          {"updated_at", updated_at},
          {"attempts", attempts_json}};
}

stdfs::path JobStore::default_path() {
  return fs::mlbox_home() / "jobs.db";
}

JobStore::JobStore(stdfs::path path) : path_(std::move(path)) {
  std::error_code ec;
  if (path_.has_parent_path()) stdfs::create_directories(path_.parent_path(), ec);
  if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(ErrorKind::kInternal, "cannot open the job database " + path_.string() + ": " + msg,
                "set MLBOX_HOME to a writable directory");
  }
  sqlite3_busy_timeout(db_, 10000);
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=NORMAL");
  exec("PRAGMA foreign_keys=ON");
  WriteTransaction tx(db_);
  exec(
      "CREATE TABLE IF NOT EXISTS jobs ("
      " id TEXT PRIMARY KEY, name TEXT NOT NULL, backend TEXT NOT NULL,"
      " image_ref TEXT NOT NULL, image_digest TEXT NOT NULL, state TEXT NOT NULL,"
      " output_dir TEXT NOT NULL, details TEXT NOT NULL,"
      " created_at TEXT NOT NULL, updated_at TEXT NOT NULL)");
  exec(
      "CREATE TABLE IF NOT EXISTS attempts ("
      " job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE, number INTEGER NOT NULL,"
      " started_at TEXT NOT NULL, ended_at TEXT, exit_code INTEGER, outcome TEXT,"
      " PRIMARY KEY (job_id, number))");
  tx.commit();
}

JobStore::~JobStore() {
  sqlite3_close(db_);
}

void JobStore::exec(const char* sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown";
    sqlite3_free(err);
    throw Error(ErrorKind::kInternal, "job store " + path_.string() + ": " + msg);
  }
}

void JobStore::insert(JobRecord r) {
  r.created_at = r.updated_at = utc_now_rfc3339();
  WriteTransaction tx(db_);
  Statement s(db_,
              "INSERT INTO jobs (id, name, backend, image_ref, image_digest, state, output_dir,"
              " details, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)");
  s.bind(1, r.id).bind(2, r.name).bind(3, r.backend).bind(4, r.image_ref).bind(5, r.image_digest);
  s.bind(6, std::string(to_string(r.state))).bind(7, r.output_dir).bind(8, r.details.dump());
  s.bind(9, r.created_at).bind(10, r.updated_at);
  s.step();
  tx.commit();
}

void JobStore::set_state(const std::string& id, JobState state) {
  WriteTransaction tx(db_);
  Statement s(db_, "UPDATE jobs SET state = ?, updated_at = ? WHERE id = ?");
  s.bind(1, std::string(to_string(state))).bind(2, utc_now_rfc3339()).bind(3, id);
  s.step();
  if (sqlite3_changes(db_) == 0) throw Error(ErrorKind::kUsage, "no job '" + id + "'");
  tx.commit();
}

void JobStore::set_details(const std::string& id, const nlohmann::json& details) {
  WriteTransaction tx(db_);
  Statement s(db_, "UPDATE jobs SET details = ?, updated_at = ? WHERE id = ?");
  s.bind(1, details.dump()).bind(2, utc_now_rfc3339()).bind(3, id);
  s.step();
  if (sqlite3_changes(db_) == 0) throw Error(ErrorKind::kUsage, "no job '" + id + "'");
  tx.commit();
}

int JobStore::begin_attempt(const std::string& id) {
  WriteTransaction tx(db_);
  Statement q(db_, "SELECT COALESCE(MAX(number), 0) FROM attempts WHERE job_id = ?");
  q.bind(1, id);
  q.step();
  int number = q.integer(0) + 1;
  std::string now = utc_now_rfc3339();
  Statement s(db_, "INSERT INTO attempts (job_id, number, started_at) VALUES (?,?,?)");
  s.bind(1, id).bind(2, number).bind(3, now);
  s.step();
  Statement u(db_, "UPDATE jobs SET updated_at = ? WHERE id = ?");
  u.bind(1, now).bind(2, id);
  u.step();
  tx.commit();
  return number;
}

void JobStore::end_attempt(const std::string& id, int number, std::optional<int> exit_code,
                           const std::string& outcome) {
  WriteTransaction tx(db_);
  Statement s(db_,
              "UPDATE attempts SET ended_at = ?, exit_code = ?, outcome = ?"
              " WHERE job_id = ? AND number = ?");
  s.bind(1, utc_now_rfc3339());
  if (exit_code) {
    s.bind(2, *exit_code);
  } else {
    s.bind_null(2);
  }
  s.bind(3, outcome).bind(4, id).bind(5, number);
  s.step();
  tx.commit();
}

void JobStore::apply_remote(const std::string& id, JobState state,
                            const std::vector<Attempt>& attempts) {
  WriteTransaction tx(db_);
  Statement q(db_, "SELECT state FROM jobs WHERE id = ?");
  q.bind(1, id);
  if (!q.step()) throw Error(ErrorKind::kUsage, "no job '" + id + "'");
  JobState old = parse_job_state(q.text(0));
  if (is_terminal(old) && !is_terminal(state)) state = old;
  std::string now = utc_now_rfc3339();
  Statement u(db_, "UPDATE jobs SET state = ?, updated_at = ? WHERE id = ?");
  u.bind(1, std::string(to_string(state))).bind(2, now).bind(3, id);
  u.step();
  Statement d(db_, "DELETE FROM attempts WHERE job_id = ?");
  d.bind(1, id);
  d.step();
  for (const auto& a : attempts) {
    Statement ins(db_,
                  "INSERT INTO attempts (job_id, number, started_at, ended_at, exit_code, outcome)"
                  " VALUES (?,?,?,?,?,?)");
    ins.bind(1, id).bind(2, a.number).bind(3, a.started_at);
    if (a.ended_at.empty()) {
      ins.bind_null(4);
    } else {
      ins.bind(4, a.ended_at);
    }
    if (a.exit_code) {
      ins.bind(5, *a.exit_code);
    } else {
      ins.bind_null(5);
    }
    if (a.outcome.empty()) {
      ins.bind_null(6);
    } else {
      ins.bind(6, a.outcome);
    }
    ins.step();
  }
  tx.commit();
}

void JobStore::load_attempts(JobRecord& r) const {
  Statement s(db_,
              "SELECT number, started_at, ended_at, exit_code, outcome FROM attempts"
              " WHERE job_id = ? ORDER BY number");
  s.bind(1, r.id);
  while (s.step()) {
    Attempt a;
    a.number = s.integer(0);
    a.started_at = s.text(1);
    a.ended_at = s.text(2);
    if (!s.is_null(3)) a.exit_code = s.integer(3);
    a.outcome = s.text(4);
    r.attempts.push_back(std::move(a));
  }
}

std::optional<JobRecord> JobStore::find(const std::string& id) const {
  Statement s(db_, (std::string("SELECT ") + kJobColumns + " FROM jobs WHERE id = ?").c_str());
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  JobRecord r = row_to_record(s);
  load_attempts(r);
  return r;
}

JobRecord JobStore::resolve(const std::string& prefix) const {
  if (auto exact = find(prefix)) return *exact;
  Statement s(db_, "SELECT id FROM jobs WHERE substr(id, 1, length(?1)) = ?1 ORDER BY id");
  s.bind(1, prefix);
  std::vector<std::string> ids;
  while (s.step()) ids.push_back(s.text(0));
  if (ids.size() == 1) return *find(ids.front());
  if (ids.empty()) {
    // Also accept the random suffix alone ("a1b2c3").
    Statement t(db_, "SELECT id FROM jobs ORDER BY id");
    std::vector<std::string> all, by_suffix;
    while (t.step()) {
      all.push_back(t.text(0));
      const std::string& id = all.back();
      if (prefix.size() >= 3 && id.size() >= 6 &&
          id.compare(id.size() - 6, prefix.size(), prefix) == 0) {
        by_suffix.push_back(id);
      }
    }
    if (by_suffix.size() == 1) return *find(by_suffix.front());
    std::string hint = "list jobs with `mlbox jobs`";
    if (auto guess = did_you_mean(prefix, all)) {
      hint = "did you mean " + *guess + "?";
    } else if (!all.empty()) {
      // The closest ids by edit distance, so a mistyped id still points somewhere.
      std::stable_sort(all.begin(), all.end(),
                       [&prefix](const std::string& a, const std::string& b) {
                         return edit_distance(prefix, a) < edit_distance(prefix, b);
                       });
      all.resize(std::min<size_t>(all.size(), 3));
      hint = "closest ids: " + join(all, ", ") + "; list jobs with `mlbox jobs`";
    }
    throw Error(ErrorKind::kUsage, "no job matches '" + prefix + "'", hint);
  }
  throw Error(
      ErrorKind::kUsage,
      "'" + prefix + "' matches " + std::to_string(ids.size()) + " jobs: " + join(ids, ", "),
      "give more characters of the job id");
}

std::vector<JobRecord> JobStore::list(size_t limit) const {
  std::string sql =
      std::string("SELECT ") + kJobColumns + " FROM jobs ORDER BY created_at DESC, rowid DESC";
  if (limit) sql += " LIMIT " + std::to_string(limit);
  Statement s(db_, sql.c_str());
  std::vector<JobRecord> out;
  while (s.step()) out.push_back(row_to_record(s));
  for (auto& r : out) load_attempts(r);
  return out;
}

}  // namespace mlbox::jobs
