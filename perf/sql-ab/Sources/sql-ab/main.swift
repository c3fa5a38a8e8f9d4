// In-process A/B of `SQLClassifier.classify(text:into:)` from two checkouts (slots A and B),
// on the SQLClassify benchmark's texts. Rounds alternate the two (and which goes first), so
// both see the same machine noise; each round times `inner` classifications of each.
//
// Usage: sql-ab ROUNDS   (prints, per text, each slot's min/p10/p50 in ns and the p25/p50/p75
// of the per-round ratio B/A)

import Glibc
import SQLTexts
import SlotA
import SlotB

@inline(never) func now() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
}

let rounds = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 400 : 400
let inner = 100
let texts = [("join", SQLQueries.stableBytes(SQLQueries.joinSelect).bytes),
             ("script", SQLQueries.stableBytes(SQLQueries.script).bytes),
             ("insert", SQLQueries.stableBytes(SQLQueries.insertValues).bytes)]
let classifierA = SlotA.SQLClassifier(options: .init(standardConformingStrings: true))
let classifierB = SlotB.SQLClassifier(options: .init(standardConformingStrings: true))

/// Nanoseconds per classification over one batch of `inner` (the batch's closure runs the loop,
/// so the call through it is paid once per batch).
@inline(never) func timeBatch(_ batch: () -> Int, sink: inout Int) -> Double {
    let start = now()
    sink &+= batch()
    return Double(now() - start) / Double(inner)
}

func format(_ value: Double) -> String { String(Int(value.rounded())) }
func ratio(_ value: Double) -> String { String(Double(Int((value * 1000).rounded())) / 1000) }

var summaryA = SlotA.SQLQuerySummary()
var summaryB = SlotB.SQLQuerySummary()
for (name, text) in texts {
    // Both slots must classify alike, or the comparison means nothing.
    classifierA.classify(text: text, into: &summaryA)
    classifierB.classify(text: text, into: &summaryB)
    precondition(summaryA.statementCount == summaryB.statementCount
                 && summaryA.classes.rawValue == summaryB.classes.rawValue
                 && summaryA.relations.count == summaryB.relations.count, "the two slots classify \(name) differently")
    var timesA: [Double] = [], timesB: [Double] = [], ratios: [Double] = []
    var sink = 0
    let batchA = { () -> Int in
        (0..<inner).reduce(0) { total, _ in classifierA.classify(text: text, into: &summaryA); return total &+ summaryA.statementCount }
    }
    let batchB = { () -> Int in
        (0..<inner).reduce(0) { total, _ in classifierB.classify(text: text, into: &summaryB); return total &+ summaryB.statementCount }
    }
    for round in 0..<rounds {
        // Alternate which slot goes first.
        let a: Double, b: Double
        if round & 1 == 0 {
            a = timeBatch(batchA, sink: &sink)
            b = timeBatch(batchB, sink: &sink)
        } else {
            b = timeBatch(batchB, sink: &sink)
            a = timeBatch(batchA, sink: &sink)
        }
        timesA.append(a)
        timesB.append(b)
        ratios.append(b / a)
    }
    timesA.sort(); timesB.sort(); ratios.sort()
    let n = rounds
    print("\(name): A min \(format(timesA[0])) p10 \(format(timesA[n / 10])) p50 \(format(timesA[n / 2])) ns"
          + " | B min \(format(timesB[0])) p10 \(format(timesB[n / 10])) p50 \(format(timesB[n / 2])) ns"
          + " | B/A p25 \(ratio(ratios[n / 4])) p50 \(ratio(ratios[n / 2])) p75 \(ratio(ratios[3 * n / 4]))"
          + (sink == 42 ? " " : ""))
}
