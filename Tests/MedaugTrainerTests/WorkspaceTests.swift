import XCTest
@testable import MedaugTrainer

final class WorkspaceTests: XCTestCase {
    func testGrowsToTheLargestRequestThenReuses() {
        let workspace = Workspace()
        let first = workspace.floats(100)
        XCTAssertEqual(workspace.capacity, 100)
        XCTAssertEqual(workspace.floats(50), first)
        let grown = workspace.floats(300)
        XCTAssertEqual(workspace.capacity, 300)
        XCTAssertEqual(workspace.floats(100), grown)
    }

    func testGrowableBuffer() {
        let buffer = GrowableBuffer<Int32>(fill: 0)
        let first = buffer.reserve(10)
        XCTAssertEqual(buffer.reserve(5), first)
        _ = buffer.reserve(20)
        XCTAssertEqual(buffer.capacity, 20)
    }
}

/// The trainer's kernel operands start on a cache line (`CacheAligned`):
/// on 16-byte-aligned buffers every AVX-512 vector spans two lines, which
/// cost the pix2pix step about 5% (docs/design.md §3.6).
final class TrainerBufferAlignmentTests: XCTestCase {
    private func assertAligned(_ pointer: UnsafeRawPointer, _ what: String, file: StaticString = #filePath,
                               line: UInt = #line) {
        XCTAssertEqual(Int(bitPattern: pointer) % 64, 0, what, file: file, line: line)
    }

    func testTensorsWorkspaceAndParametersAreCacheAligned() throws {
        let large = TensorShape(n: 1, c: 64, h: 128, w: 128)    // 4 MiB: glibc maps it on its own
        let tensor = TrainTensor(shape: TensorShape(n: 1, c: 1, h: 1, w: 1))
        assertAligned(tensor.pointer, "a small tensor")
        tensor.resize(to: large)
        assertAligned(tensor.pointer, "a tensor after growing")
        assertAligned(TrainTensor(shape: large).pointer, "a large tensor")
        let labels = LabelMap(n: 1, h: 300, w: 300)
        assertAligned(labels.pointer, "a label map")
        labels.resize(n: 2, h: 300, w: 300)
        assertAligned(labels.pointer, "a label map after growing")
        let workspace = Workspace()
        assertAligned(workspace.floats(5), "small scratch")
        assertAligned(workspace.floats(1 << 20), "large scratch")
        assertAligned(GrowableBuffer<Float>(fill: 0).reserve(70_000), "a growable buffer")
        let parameter = Parameter(name: "w", shape: [512, 512, 4, 4])
        assertAligned(parameter.value.baseAddress!, "parameter values")
        assertAligned(parameter.gradient.baseAddress!, "parameter gradients")
    }
}
