#!/usr/bin/env bash
# Mutation evidence: breaks perftrack's concurrency protocols one at a time,
# on a copy of the tree, and shows that a loom model or a test catches each
# break. Prints a table; exits non-zero if any mutant survives.
#
#   scripts/mutants.sh            every mutant
#   scripts/mutants.sh NAME...    only these
#
# Each mutant is a `sed` edit of one source file. The script checks that the
# edit really changed the file (a pattern that no longer matches is a failure
# of this script, not a caught mutant). It then runs the loom models
# (scripts/loom.sh settings) and, if they all pass, the library's unit tests
# (with feature `tracing`, for the layer's call-site table) and the
# invariant, stress, call-path, hand-over, counter, label, fork, std-layer and
# timeline tests in
# release mode. Not part of the test
# command: it takes a few minutes per mutant on 2 cores. docs/DESIGN.md's
# guarantee table cites it.
# A broken protocol can blow up a model's state space (publish-early makes
# model c3 explore without end while c1 has already failed), so the loom run
# of each mutant is bounded at 300 s; a model that failed before the bound
# still counts.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$ROOT/target/mutants
TREE=$WORK/tree
mkdir -p "$WORK"
rm -rf "$TREE"
mkdir -p "$TREE"
# The tracked and untracked-but-not-ignored files, as they are now.
git ls-files -co --exclude-standard -z | xargs -0 -I{} cp --parents {} "$TREE"/

# name # file # sed expression # what it breaks  ('#' apart: the expressions hold '|')
MUTANTS=(
  "release-relaxed#src/record/exclusive.rs#s/self.claim.store(c.wrapping_add(HOLD), Ordering::Release)/self.claim.store(c.wrapping_add(HOLD), Ordering::Relaxed)/#the Release store that ends a hold weakened to Relaxed"
  "no-second-check#src/record/exclusive.rs#s/if !version_is_whole(c1, count, v.count.load(Ordering::Relaxed)) {/if !version_is_whole(c1, count, count) {/#the reader's second count load dropped"
  "loose-check#src/record/exclusive.rs#s/(count as u32).wrapping_sub(c1 >> 2) & (u32::MAX >> 2) == 0 && again == count/again == count/#the copy-validity rule loosened to accept a version the next hold had already marked"
  "early-release#src/record/exclusive.rs#s/let seq = old.count.load(Ordering::Relaxed);/self.claim.store(c.wrapping_add(HOLD), Ordering::Release); let seq = old.count.load(Ordering::Relaxed);/#the claim released before the record is written"
  "pending-stuck#src/record/exclusive.rs#/^        if tries >= READER_TRIES {\$/,/^        }\$/d#pending never lowered after a snapshot"
  "no-hot-wait#src/record/aggregate.rs#s/while cold.completed.load(Ordering::Acquire) != total {/while false \&\& cold.completed.load(Ordering::Acquire) != total {/#the reader's wait for in-flight hot/cold writers removed"
  "no-absorb#src/record/aggregate.rs#s/hot.absorb(\&totals);//#the cold half not moved into the hot one"
  "ring-one-check#src/record/exclusive.rs#s/(begun <= seq.saturating_add(RING as u64)).then_some(r)/Some(r)/#a ring read's check after the copy dropped (an entry overwritten during its copy is returned)"
  "publish-early#src/registry.rs#s/entry.name.store(name);/entry.state.store(READY, Ordering::Release); entry.name.store(name);/#a slot published before its name is written"
  "no-epoch#src/record/exclusive.rs#s/let epoch = epoch();/let epoch = 0;/#records not stamped with the epoch (window order)"
  "hist-in-flight-kept#src/record/exclusive.rs#s/        \*extra -= 1;//#a copy keeps the in-flight record's bucket (histogram one ahead of the count)"
  "hist-wrong-half#src/record/slot.rs#s/cold = parity;/cold = parity ^ 1;/#the contended histogram's hot half drained as if cold"
  "handover-relaxed#src/platform/owner.rs#s/t.store(false, Ordering::Release);/t.store(false, Ordering::Relaxed);/#a broken hand-over: the owner token given back with a Relaxed store"
  "non-owner-takes-owned#src/record/exclusive.rs#s/if c \& (HELD | OWNED) != 0 {/if c \& HELD != 0 {/#a non-owner takes the claim of a shard another thread owns"
  "owner-ignores-held#src/record/exclusive.rs#s/^        if c \& HELD != 0\$/        if false/#an owner's first record on a shard takes it while a non-owner's hold is in flight"
  "no-mark-fence#src/record/exclusive.rs#s/^        fence(Ordering::Release);\$//#the Release fence between a hold's mark (the version's count) and its other stores dropped"
  "steady-never-closed#src/record/exclusive.rs#s/None => self.steady.close(),/None => {}/#a hold that changed a seldom cell (an extreme, CPU time, allocations) leaves the steady range open, so the next hold does not copy it"
  "bump-relaxed#src/histogram/mod.rs#s/wrapping_add(1), Ordering::Release)/wrapping_add(1), Ordering::Relaxed)/#the owner's bucket bump weakened to Relaxed: a reader that sees it may not see the ring entry that names the in-flight bucket"
  "path-claim-passes#src/paths.rs#s/Err(k) if k == key => return found(i),//#a path claim that loses its CAS to the same key walks on and claims a second entry"
  "hint-kept-after-give-back#src/platform/hosted/hint.rs#s/let _ = HINT.try_with(|h| h.set(UNOWNED | i));//#a thread that gave its token back keeps its owner hint, so its late thread-local destructors record as an owner beside the token's next holder"
  "orphan-token-unchecked#src/instrument/stack.rs#s/(0..len).rev().find(|\&i| self.at(i).token == token)/(0..len).rev().find(|\&i| self.at(i).token == token \|\| i + 1 == len)/#an orphaned guard closes whatever frame now stands on top of the stack instead of finding its own gone"
  "task-boundary-ignored#src/instrument/stack.rs#s/self.at(i).table == table \&\& self.at(i).task == task)/self.at(i).table == table)/#a scope finds its parent among the frames of another task suspended on the same thread"
  "other-tasks-popped#src/instrument/stack.rs#s/            if above.task != frame.task {/            if false {/#closing a scope also closes the frames other tasks opened above it while its task was suspended"
  "cancelled-also-recorded#src/instrument/future.rs#s/            op.close_cancelled(ns, path, children_ns);/            op.close_scope(\&Sample::new(wall, 0), path, children_ns); op.close_cancelled(ns, None, 0);/#a cancelled call is also recorded as a completed one, so its time is in the operation's figures and histogram"
  "kept-frame-popped#src/instrument/stack.rs#s/if (pos + 1..s.len.get()).any(|i| s.at(i).task == task) {/if false {/#an async call's frame is closed at the end of each poll even while its body holds scopes open across the await, so they lose their parent"
  "async-parent-unchecked#src/instrument/stack.rs#s/Some(p) if s.at(p).path == Some(parent) => {/Some(p) => {/#an async call that ends after its parent's scope closed adds its time to whatever scope of that task is open now"
  "recent-ignores-tracker#src/platform/hosted/recent.rs#s/find(|e| e.tracker == tracker \&\& e.name == \*name)/find(|e| e.name == *name)/#a thread's remembered slot for a name is used in any tracker, not only the one it was found in"
  "recent-ignores-labels#src/tracker.rs#0,/        if HOSTED \&\& labels.is_empty() {/s//        if HOSTED {/#a labelled series is looked up among the thread's remembered unlabelled names, so it is answered with the unlabelled series' slot"
  "name-eq-first-word-only#src/name.rs#s/.take(words).all(/.take(1).all(/#two names of one length and hash are equal when they differ only in a word past the first (the hash covers the first and last words, not those between)"
  "depth-limit-off-by-one#src/paths.rs#s/if depth > MAX_DEPTH || len == 0 {/if depth > MAX_DEPTH + 1 || len == 0 {/#a path one deeper than MAX_DEPTH is claimed, and the walk (which stops at MAX_DEPTH) never shows its records"
  "path-cells-unowned#src/paths.rs#s/if let (shard, true) = shard_of(hint, SHARDS)/if let (shard, _) = shard_of(hint, SHARDS)/#every thread adds to its shard's owner cells of a path with a load and a store, owner or not, so a thread past the shard count and the owner lose each other's additions"
  "root-path-kept-for-any-tracker#src/instrument/stack.rs#s/            None if self.root_table.get() == table \&\& self.root.get().op == key => (None, self.root.get().path),/            None if self.root.get().op == key => (None, self.root.get().path),/#a root scope takes the path its thread last claimed for an operation of the same slot index in another tracker"
  "child-path-kept-for-any-operation#src/instrument/stack.rs#s/                    Some(_) if parent.child.op == key => parent.child.path,/                    Some(_) if parent.child.op != 0 => parent.child.path,/#a scope takes the path last claimed under its parent frame whatever operation claimed it"
  "site-read-before-written#src/integrations/tracing/sites.rs#s/                        0 => resolve(),/                        0 => Resolved::Slot(0),/#a span call site whose entry is claimed but whose slot is not written yet is answered with slot 0, another operation's"
  "labels-published-late#src/registry.rs#/^ *entry.labels.store(labels);\$/d;s/entry.state.store(READY, Ordering::Release);/entry.state.store(READY, Ordering::Release); entry.labels.store(labels);/#a labelled series published before its labels are written, so a racing registrar of the same series passes it by and claims a second slot"
  "key-hint-trusts-hash#src/hints.rs#s/                stored if stored == key \&\& is_it(index) => return Ok(index),/                stored if stored == key => return Ok(index),/#a lookup by the key hints takes the first entry whose hash is equal, without comparing its name and labels"
  "key-hint-passes-unhinted#src/hints.rs#s/                0 => return Err(index),/                0 => return Err(index + 1),/#a lookup by the key hints passes the first entry whose hint is not stored yet, so the walk after it never sees that entry"
  "key-hint-stored-early#src/registry.rs#/^ *self.hints.publish(index, key);\$/d;s/entry.name.store(name);/self.hints.publish(index, key); entry.name.store(name);/#an entry's hint stored before its name, so a lookup compares a name not yet written and passes the entry"
  "counter-lost-update#src/metric/counter.rs#s/let _ = cell.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| Some(old.saturating_add(n)));/cell.store(cell.load(Ordering::Relaxed).saturating_add(n), Ordering::Relaxed);/#a counter's increment as a load and a store: two threads on one shard lose updates"
  "counter-wraps#src/metric/counter.rs#s/Some(old.saturating_add(n))/Some(old.wrapping_add(n))/#a counter's cell wraps past u64::MAX to a small count, so it reads backwards"
  "gauge-lost-update#src/metric/gauge.rs#s/match self.bits.compare_exchange_weak(old, new, Ordering::Relaxed, Ordering::Relaxed) {/match { self.bits.store(new, Ordering::Relaxed); Ok::<u64, u64>(old) } {/#a gauge's addition as a store of what it read plus delta: concurrent additions overwrite each other"
  "fork-barrier-off#src/platform/hosted/fork.rs#s/            if !FORKING.load(Ordering::SeqCst) {/            if true || !FORKING.load(Ordering::SeqCst) {/#a thread enters a snapshot, a contended record or a claim while a fork is under way, so the fork can fall in the middle of one and the child wait for ever"
  "fork-waits-for-itself#src/platform/hosted/fork.rs#s/let mine = usize::from(i == own);/let mine = 0;/#the fork's prepare handler waits for the forking thread's own count, so a signal handler that forks inside its thread's section waits for itself for ever"
  "bucket-boundary-off-by-one#src/histogram/buckets.rs#s/packed\[t\] = (K\[FIRST\[t\] as usize\] \& !31)/packed[t] = ((K[FIRST[t] as usize] - 1) \& !31)/#a duration exactly on a native bucket's upper bound (1 s, 2 s, 0.5 s) counted in the bucket above: lower-inclusive instead of upper-inclusive"
  "task-on-thread-track#src/timeline/track.rs#s/                    self.track = NEXT_TRACK.fetch_add(1, Ordering::Relaxed);/                    self.track = 1;/#an async call that starts under no other takes the thread's track instead of its own, so concurrent tasks share one bar"
  "bucket-top-cut-inclusive#src/histogram/buckets.rs#s/if raw < self.len { raw } else { self.len - 1 }/if raw <= self.len { raw } else { self.len - 1 }/#a duration one bucket past the top is given bucket index len, one past the last, instead of the top bucket"
)

only=("$@")
export CARGO_TERM_COLOR=never
rows=()
survivors=0
for m in "${MUTANTS[@]}"; do
  IFS='#' read -r name file expr what <<<"$m"
  if [ "${#only[@]}" -gt 0 ] && [[ ! " ${only[*]} " =~ " $name " ]]; then continue; fi
  cp "$ROOT/$file" "$TREE/$file"
  sed -i -e "$expr" "$TREE/$file"
  if cmp -s "$ROOT/$file" "$TREE/$file"; then
    echo "!! mutant $name: the sed expression no longer matches $file"
    rows+=("| $name | $what | NOT APPLIED (script out of date) |")
    survivors=$((survivors + 1))
    continue
  fi
  echo "==> mutant $name: $what"
  log=$WORK/$name.log
  caught=""
  ( cd "$TREE" && RUSTFLAGS="--cfg perftrack_loom" LOOM_MAX_PREEMPTIONS=2 timeout 300 \
      cargo test --release -p perftrack-loom-tests --target-dir "$WORK/loom-target" --test loom -- --test-threads=2 ) >"$log" 2>&1
  failed=$(grep -E '^test .* FAILED$' "$log" | sed -E 's/^test (.*) \.\.\. FAILED$/\1/' | tr '\n' ' ')
  if [ -n "$failed" ]; then
    caught="loom: $failed"
  elif grep -qE '^error(\[|:)' "$log"; then
    caught="(does not compile)"
  else
    ( cd "$TREE" && timeout 900 cargo test --release --features tracing --target-dir "$WORK/target" --lib --test invariants --test stress \
        --test call_paths --test handover --test counters --test labels --test fork --test std_layer --test timeline ) >>"$log" 2>&1
    failed=$(grep -E '^test .* FAILED$' "$log" | sed -E 's/^test (.*) \.\.\. FAILED$/\1/' | tr '\n' ' ')
    [ -n "$failed" ] && caught="tests: $failed"
    # A test build that fails is no catch: the mutant was never run.
    if [ -z "$failed" ] && grep -qE '^error(\[|:)' "$log"; then
      caught=""; echo "!! mutant $name: the tests do not compile (log: $log)"
    fi
  fi
  cp "$ROOT/$file" "$TREE/$file"
  if [ -z "$caught" ]; then
    survivors=$((survivors + 1))
    rows+=("| $name | $what | **SURVIVED** |")
    echo "    SURVIVED (log: $log)"
  else
    rows+=("| $name | $what | $caught|")
    echo "    caught by $caught"
  fi
done

echo
echo "| mutant | what it breaks | caught by |"
echo "|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "mutants: ${#rows[@]} run, $survivors survived"
[ "$survivors" = 0 ]
