import COpenSSL
import Glibc

/// TLS on the loops: a side that speaks TLS has an engine in ``LoopCore/tlsEngines``. What it
/// sends is fed to the engine and the plaintext handed to the session in pool buffers (the
/// ciphertext's own buffer first); what the session queues for it waits in the pair's
/// plaintext queue until ``seal(_:_:)`` encrypts it into the flow towards that side, which
/// thus holds records only. The backends see nothing of this: they read into and send from
/// pool buffers as for plain connections.
extension LoopCore where Session: ~Copyable {
    @inline(__always)
    func engineIndex(_ slot: Int32, _ side: ProxySide) -> Int {
        2 * Int(slot) + (side == .client ? 0 : 1)
    }

    /// Frees the engines of slot `index` (connection closed).
    func freeTLSEngines(_ index: Int) {
        for offset in 0..<2 {
            tlsEngines[2 * index + offset]?.free()
            tlsEngines[2 * index + offset] = nil
        }
    }

    /// After a session call on a connection with TLS: starts the engine it asked for, then
    /// seals what it queued for its TLS sides. `input` is the buffer the call handled (a
    /// replayed ClientHello is read from it), `BufferPool.none` for events.
    mutating func runTLS(_ slot: Int32, start: TLSStartRequest?, input: UInt16, _ requests: inout SessionRequests) {
        if let start {
            startEngine(slot, start, input: input, &requests)
        }
        seal(slot, &requests)
    }

    private mutating func startEngine(
        _ slot: Int32, _ start: TLSStartRequest, input: UInt16, _ requests: inout SessionRequests
    ) {
        let side = start.side
        let engineIndex = engineIndex(slot, side)
        do {
            tlsEngines[engineIndex] = try TLSEngine(context: start.context, serverName: start.serverName)
        } catch {
            merge(&requests, failTLS(slot, side, failure: error))
            return
        }
        if let range = start.replaying, input != BufferPool.none, !range.isEmpty {
            let bytes = UnsafeRawBufferPointer(start: poolStorage.pointee.address(of: input) + range.lowerBound, count: range.count)
            guard tlsEngines[engineIndex]!.feed(bytes) else {
                merge(&requests, failTLS(slot, side))
                return
            }
        }
        if start.context.role == .client {
            // The client speaks first: its hello goes out with this call's requests.
            if tlsEngines[engineIndex]!.handshake() == .failed {
                merge(&requests, failTLS(slot, side))
                return
            }
            flushOutput(slot, side, &requests)
        } else if start.replaying != nil {
            pump(slot, side, spare: BufferPool.none, &requests)
        }
    }

    /// Ciphertext from a TLS side: fed to its engine, whatever plaintext it yields handed to
    /// the session. Takes ownership of `buffer` (reused for the plaintext).
    mutating func deliverCiphertext(_ slot: Int32, buffer: UInt16, length: Int, from side: ProxySide) -> SessionRequests {
        var requests = SessionRequests(connect: false, close: nil, readStateChanged: false, touchedFlows: 0)
        let engineIndex = engineIndex(slot, side)
        guard tlsEngines[engineIndex] != nil else {
            // TLS was asked for but no engine runs: nothing from this side may reach the session.
            poolStorage.pointee.release(buffer)
            requests.close = .tlsFailed(side: side)
            return requests
        }
        let bytes = UnsafeRawBufferPointer(start: poolStorage.pointee.address(of: buffer), count: length)
        guard tlsEngines[engineIndex]!.feed(bytes) else {
            poolStorage.pointee.release(buffer)
            return failTLS(slot, side)
        }
        pump(slot, side, spare: buffer, &requests)
        seal(slot, &requests)
        return requests
    }

    /// Reads plaintext out of `side`'s engine until it needs more ciphertext, handing each
    /// buffer to the session; reports the handshake's completion first.
    private mutating func pump(_ slot: Int32, _ side: ProxySide, spare: UInt16, _ requests: inout SessionRequests) {
        let engineIndex = engineIndex(slot, side)
        var spare = spare
        defer { if spare != BufferPool.none { poolStorage.pointee.release(spare) } }
        while requests.close == nil, !pairs[Int(slot)].closeAfterFlush, pairs[Int(slot)].phase != .closing,
              tlsEngines[engineIndex] != nil {
            if spare == BufferPool.none {
                // A read that cannot yield anything needs no buffer.
                guard tlsEngines[engineIndex]!.mayHaveMoreInput else { return }
                spare = poolStorage.pointee.acquireSpare()
                guard spare != BufferPool.none else {
                    requests.close = .resourceExhausted(errno: ENOBUFS)
                    return
                }
            }
            let wasEstablished = tlsEngines[engineIndex]!.isEstablished
            let buffer = UnsafeMutableRawBufferPointer(
                start: poolStorage.pointee.address(of: spare), count: poolStorage.pointee.bufferSize)
            let result = tlsEngines[engineIndex]!.read(into: buffer)
            // Handshake output (and alerts) go out whatever the result.
            flushOutput(slot, side, &requests)
            if !wasEstablished && tlsEngines[engineIndex]!.isEstablished {
                merge(&requests, deliver(slot, event: .tlsEstablished(side)))
                if requests.close != nil { return }
            }
            if tlsEngines[engineIndex]!.sawAlertOrRenegotiation {
                merge(&requests, failTLS(slot, side, failure: TLSFailure("TLS alert or renegotiation after the handshake")))
                return
            }
            switch result {
            case .bytes(let count):
                let plaintext = spare
                spare = BufferPool.none
                merge(&requests, deliverPlaintext(slot, buffer: plaintext, length: count, from: side))
            case .needMoreCiphertext:
                return
            case .closed:
                // An orderly end (close_notify): what is queued still goes out, then the
                // connection closes.
                closeAfterFlush(slot, .tlsClosed(side: side), &requests)
                return
            case .failed:
                merge(&requests, failTLS(slot, side))
                return
            }
        }
    }

    /// Encrypts the plaintext queued for each established TLS side into its flow.
    mutating func seal(_ slot: Int32, _ requests: inout SessionRequests) {
        if pairs[Int(slot)].isTLS(.client) { seal(slot, .client, &requests) }
        if pairs[Int(slot)].isTLS(.upstream) { seal(slot, .upstream, &requests) }
    }

    private mutating func seal(_ slot: Int32, _ side: ProxySide, _ requests: inout SessionRequests) {
        let index = Int(slot)
        do {
            let engineIndex = engineIndex(slot, side)
            guard tlsEngines[engineIndex] != nil else { return }
            guard tlsEngines[engineIndex]!.isEstablished, !pairs[index][plainTo: side].isEmpty else {
                flushOutput(slot, side, &requests)
                return
            }
            // Every plaintext buffer is written into the engine, then reused for the records.
            var free = BufferPool.none
            var failed = false
            while let (id, slice) = pairs[index].takePlainHead(to: side, pool: &poolStorage.pointee) {
                let bytes = UnsafeRawBufferPointer(
                    start: poolStorage.pointee.address(of: id) + slice.lowerBound, count: slice.count)
                if !failed && !tlsEngines[engineIndex]!.write(bytes) { failed = true }
                poolStorage.pointee.links[Int(id)] = free
                free = id
            }
            flushOutput(slot, side, &requests, reusing: &free)
            while free != BufferPool.none {
                let next = poolStorage.pointee.links[Int(free)]
                poolStorage.pointee.release(free)
                free = next
            }
            if failed {
                merge(&requests, failTLS(slot, side))
            }
        }
    }

    /// Moves the engine's pending records into the flow towards `side`, into the buffers
    /// chained from `free` first, then into spare ones.
    private mutating func flushOutput(_ slot: Int32, _ side: ProxySide, _ requests: inout SessionRequests) {
        var free = BufferPool.none
        flushOutput(slot, side, &requests, reusing: &free)
    }

    private mutating func flushOutput(
        _ slot: Int32, _ side: ProxySide, _ requests: inout SessionRequests, reusing free: inout UInt16
    ) {
        let index = Int(slot)
        let engineIndex = engineIndex(slot, side)
        let size = poolStorage.pointee.bufferSize
        while let engine = tlsEngines[engineIndex], engine.pendingOutput > 0 {
            var id = free
            if id != BufferPool.none {
                free = poolStorage.pointee.links[Int(id)]
                poolStorage.pointee.links[Int(id)] = BufferPool.none
            } else {
                id = poolStorage.pointee.acquireSpare()
                guard id != BufferPool.none else {
                    requests.close = .resourceExhausted(errno: ENOBUFS)
                    return
                }
            }
            let count = engine.takeOutput(into: UnsafeMutableRawBufferPointer(start: poolStorage.pointee.address(of: id), count: size))
            guard count > 0 else {
                poolStorage.pointee.release(id)
                return
            }
            pairs[index][from: side.opposite].enqueue(id, start: 0, end: count, pool: &poolStorage.pointee)
            requests.touchedFlows |= side == .upstream ? 1 : 2
        }
    }

    /// TLS on `side` failed: its alert (if any) goes out, the session hears why, and the
    /// connection closes unless the session closes it itself (after flushing an error to a
    /// plain client, say).
    private mutating func failTLS(_ slot: Int32, _ side: ProxySide, failure: TLSFailure? = nil) -> SessionRequests {
        let engineIndex = engineIndex(slot, side)
        var requests = SessionRequests(connect: false, close: nil, readStateChanged: false, touchedFlows: 0)
        let reason = failure ?? tlsEngines[engineIndex]?.failure() ?? TLSFailure("TLS failed")
        // OpenSSL's error queue is per thread: what this connection left there would fail the
        // next connection's call on this loop.
        ERR_clear_error()
        flushOutput(slot, side, &requests)
        // No further plaintext from or to this side.
        tlsEngines[engineIndex]?.free()
        tlsEngines[engineIndex] = nil
        merge(&requests, deliver(slot, event: .tlsFailed(side, reason)))
        if requests.close == nil && !pairs[Int(slot)].closeAfterFlush {
            requests.close = .tlsFailed(side: side)
        }
        return requests
    }

    /// Folds the requests of a nested session call into `requests`.
    @inline(__always)
    func merge(_ requests: inout SessionRequests, _ other: SessionRequests) {
        requests.connect = requests.connect || other.connect
        if requests.close == nil { requests.close = other.close }
        requests.readStateChanged = requests.readStateChanged || other.readStateChanged
        requests.touchedFlows |= other.touchedFlows
    }
}
