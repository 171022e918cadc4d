// Catalog's leases and garbage collection.
#include <fmt/format.h>

#include "image/metadata/catalog.h"
#include "image/metadata/rows.h"

namespace berth::image::metadata {
namespace {

Error NoSuchLease(std::string_view id) {
  return Error(ErrorKind::kNotFound, fmt::format("no such lease: {}", id));
}

Status CheckResource(const LeaseResource& resource) {
  if (resource.kind == LeaseResourceKind::kSnapshot) {
    if (resource.id.empty()) return Fail(ErrorKind::kInvalidArgument, "snapshot key is empty");
    return {};
  }
  return Digest::Parse(resource.id).map([](const Digest&) {});
}

// LiveLease checks that lease id exists and has not expired at now.
Status LiveLease(Tx& tx, std::string_view id, Time now) {
  BERTH_ASSIGN_OR_RETURN(std::optional<LeaseRecord> lease, rows::LoadLease(tx, id));
  if (!lease) return Fail(NoSuchLease(id));
  if (lease->ExpiredAt(now)) return Fail(ErrorKind::kFailedPrecondition, "lease has expired");
  return {};
}

// Describe names the change: "add blob sha256:... to lease pull-1".
std::string Describe(std::string_view verb, const LeaseResource& resource,
                     std::string_view preposition, std::string_view lease_id) {
  return fmt::format("{} {} {} {} lease {}", verb, LeaseResourceKindName(resource.kind),
                     resource.id, preposition, lease_id);
}

}  // namespace

Status Catalog::CreateLease(const NewLease& lease) {
  if (lease.id.empty()) return Fail(ErrorKind::kInvalidArgument, "create lease: id is empty");
  const std::string what = fmt::format("create lease {}", lease.id);
  for (const LeaseResource& resource : lease.resources) {
    BERTH_TRY(Annotate(CheckResource(resource), what));
  }
  const Time now = options_.clock();
  Status written = db_->Write([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(std::optional<int64_t> taken,
                           tx.QueryOne<int64_t>("SELECT 1 FROM leases WHERE id = ?", {lease.id},
                                                [](const Row& row) { return row.Int(0); }));
    if (taken) return Fail(ErrorKind::kAlreadyExists, "a lease has that id");
    BERTH_TRY(tx.Exec("INSERT INTO leases(id, created, expires) VALUES(?, ?, ?)",
                      {lease.id, rows::Nanos(now),
                       lease.expires ? Value(rows::Nanos(*lease.expires)) : Value(nullptr)}));
    for (const auto& [key, value] : lease.labels) {
      BERTH_TRY(tx.Exec("INSERT INTO lease_labels(lease_id, key, value) VALUES(?, ?, ?)",
                        {lease.id, key, value}));
    }
    for (const LeaseResource& resource : lease.resources) {
      BERTH_TRY(tx.Exec("INSERT OR IGNORE INTO lease_resources(lease_id, kind, id) VALUES(?, ?, ?)",
                        {lease.id, LeaseResourceKindName(resource.kind), resource.id}));
    }
    return {};
  });
  return Annotate(std::move(written), what);
}

Result<LeaseRecord> Catalog::GetLease(std::string_view id) const {
  std::optional<LeaseRecord> lease;
  Status read = db_->Read([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(lease, rows::LoadLease(tx, id));
    return {};
  });
  BERTH_TRY(read);
  if (!lease) return Fail(NoSuchLease(id));
  return std::move(*lease);
}

Result<std::vector<LeaseRecord>> Catalog::ListLeases() const {
  std::vector<LeaseRecord> leases;
  Status read = db_->Read([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(leases, rows::LoadLeases(tx));
    return {};
  });
  BERTH_TRY(read);
  return leases;
}

Status Catalog::DeleteLease(std::string_view id) {
  Status written = db_->Write([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(int64_t deleted, tx.Exec("DELETE FROM leases WHERE id = ?", {id}));
    if (deleted == 0) return Fail(NoSuchLease(id));
    return {};
  });
  return Annotate(std::move(written), fmt::format("delete lease {}", id));
}

Status Catalog::AddLeaseResource(std::string_view lease_id, const LeaseResource& resource) {
  const std::string what = Describe("add", resource, "to", lease_id);
  BERTH_TRY(Annotate(CheckResource(resource), what));
  const Time now = options_.clock();
  Status written = db_->Write([&](Tx& tx) -> Status {
    BERTH_TRY(LiveLease(tx, lease_id, now));
    return tx
        .Exec("INSERT OR IGNORE INTO lease_resources(lease_id, kind, id) VALUES(?, ?, ?)",
              {lease_id, LeaseResourceKindName(resource.kind), resource.id})
        .map([](int64_t) {});
  });
  return Annotate(std::move(written), what);
}

Status Catalog::RemoveLeaseResource(std::string_view lease_id, const LeaseResource& resource) {
  Status written = db_->Write([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(std::optional<int64_t> exists,
                           tx.QueryOne<int64_t>("SELECT 1 FROM leases WHERE id = ?", {lease_id},
                                                [](const Row& row) { return row.Int(0); }));
    if (!exists) return Fail(NoSuchLease(lease_id));
    return tx
        .Exec("DELETE FROM lease_resources WHERE lease_id = ? AND kind = ? AND id = ?",
              {lease_id, LeaseResourceKindName(resource.kind), resource.id})
        .map([](int64_t) {});
  });
  return Annotate(std::move(written), Describe("remove", resource, "from", lease_id));
}

Result<GcPlan> Catalog::PlanGc(const GcInputs& inputs) const {
  const Time now = options_.clock();
  GcPlan plan;
  Status read = db_->Read([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(GcGraph graph, rows::LoadGcGraph(tx));
    plan = metadata::PlanGc(graph, inputs, now);
    return {};
  });
  BERTH_TRY(Annotate(std::move(read), "plan garbage collection"));
  return plan;
}

Result<GcPlan> Catalog::CommitGc(const GcInputs& inputs) {
  const Time now = options_.clock();
  GcPlan plan;
  Status written = db_->Write([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(GcGraph graph, rows::LoadGcGraph(tx));
    plan = metadata::PlanGc(graph, inputs, now);
    for (const std::string& id : plan.expired_leases) {
      BERTH_TRY(tx.Exec("DELETE FROM leases WHERE id = ?", {id}));
    }
    for (const LayerRecord& layer : plan.layers) {
      BERTH_TRY(tx.Exec("DELETE FROM layers WHERE chain_id = ?", {layer.chain_id.String()}));
    }
    return {};
  });
  BERTH_TRY(Annotate(std::move(written), "collect garbage"));
  return plan;
}

}  // namespace berth::image::metadata
