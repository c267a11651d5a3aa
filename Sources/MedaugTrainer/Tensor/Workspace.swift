import MedaugSupport

/// Scratch memory shared by the layers of one network for values that live
/// only inside one forward or backward call (im2col columns, col2im input).
///
/// Layers run one at a time, so one buffer sized for the largest request
/// serves them all; it grows during the first step and never after, so later
/// steps allocate nothing. A `Workspace` must not be shared by networks that
/// run concurrently.
public final class Workspace {
    /// Floats held; grows to the largest request seen.
    public private(set) var capacity: Int = 0
    private var storage: UnsafeMutablePointer<Float>?

    /// An empty workspace; the first request allocates.
    public init() {}

    deinit { storage?.deallocate() }

    /// At least `count` floats of scratch, valid until the next call to
    /// `floats` (contents unspecified).
    public func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        if let storage, count <= capacity { return storage }
        storage?.deallocate()
        capacity = max(count, 1)
        let fresh = CacheAligned.allocate(Float.self, capacity: capacity)
        fresh.initialize(repeating: 0, count: capacity)
        storage = fresh
        return fresh
    }
}

/// A buffer of `Element`s that grows to the largest size requested and is
/// then reused (per-layer bookkeeping such as max-pool winners or per-class
/// sums), so steady-state steps allocate nothing.
final class GrowableBuffer<Element> {
    private(set) var capacity = 0
    private var storage: UnsafeMutablePointer<Element>?
    private let fill: Element

    /// An empty buffer; new storage is initialised with `fill`.
    init(fill: Element) { self.fill = fill }

    deinit { storage?.deallocate() }

    /// At least `count` elements (contents unspecified after growth).
    func reserve(_ count: Int) -> UnsafeMutablePointer<Element> {
        if let storage, count <= capacity { return storage }
        storage?.deallocate()
        capacity = max(count, 1)
        let fresh = CacheAligned.allocate(Element.self, capacity: capacity)
        fresh.initialize(repeating: fill, count: capacity)
        storage = fresh
        return fresh
    }
}
