import Foundation
import XCTest
@testable import MedaugImaging

final class DatasetPreparationTests: XCTestCase {
    /// A 20×16×40 volume (1 mm voxels, identity affine = RAS) with a sphere
    /// of label 4 inside a box of label 1, and intensities = 10·label + z.
    func subject() throws -> DatasetPreparation.Subject {
        let d = NIfTIVolume.Dimensions(x: 20, y: 16, z: 40)
        var labels = [Int32](repeating: 0, count: d.spatialCount)
        var values = [Float](repeating: 0, count: d.spatialCount)
        for z in 0..<d.z { for y in 0..<d.y { for x in 0..<d.x {
            let i = (z * d.y + y) * d.x + x
            let inBox = (3..<17).contains(x) && (3..<13).contains(y) && (2..<38).contains(z)
            let r = ((Double(x) - 10) * (Double(x) - 10) + (Double(y) - 8) * (Double(y) - 8)).squareRoot()
            labels[i] = inBox ? (r < 3 ? 4 : 1) : 0
            values[i] = Float(10 * labels[i]) + Float(z)
        } } }
        let volume = try NIfTIVolume(dimensions: d, values: values, voxelSize: SIMD3(1, 1, 1), affine: .scaling(SIMD3(1, 1, 1)))
        return .init(modalities: [volume], labels: labels, sourceFiles: ["t1.nii.gz", "seg.nii.gz"])
    }

    func testWritesAFolderTheManifestDescribes() throws {
        let out = NSTemporaryDirectory() + "medaug-prep-\(getpid())-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: out) }
        var options = DatasetPreparation.Options()
        options.side = 32
        options.trainCount = 5
        options.gap = 2
        options.seed = 3
        let manifest = try DatasetPreparation.prepare(subjects: [try subject()], classes: ["background", "core", "enhancing"],
                                                      labelValues: [0, 1, 4], channelNames: ["T1"], options: options, output: out)
        let read = try DatasetManifest.read(folder: out)
        XCTAssertEqual(read, manifest)
        XCTAssertEqual(manifest.items.filter { $0.split == .train }.count, 5)
        XCTAssertFalse(manifest.items.filter { $0.split == .test }.isEmpty)
        XCTAssertTrue(manifest.items.allSatisfy { !$0.synthetic })
        for item in manifest.items {
            let image = try TIFFFile.read(path: out + "/" + item.image)
            let mask = try TIFFFile.read(path: out + "/" + item.mask)
            XCTAssertEqual(image.pixels.sampleType, .uint16)
            XCTAssertEqual([image.width, image.height, mask.width, mask.height], [32, 32, 32, 32])
            XCTAssertTrue(Set(mask.floatValues()).isSubset(of: [0, 1, 4]), "\(item.id)")
        }
        // Same seed, same folder contents; the folder is refused a second time.
        XCTAssertThrowsError(try DatasetPreparation.prepare(subjects: [try subject()], classes: ["b", "c", "e"], labelValues: [0, 1, 4],
                                                            channelNames: ["T1"], options: options, output: out))
        let again = try DatasetPreparation.prepare(subjects: [try subject()], classes: ["background", "core", "enhancing"],
                                                   labelValues: [0, 1, 4], channelNames: ["T1"], options: options, output: out,
                                                   overwrite: true)
        XCTAssertEqual(again, manifest)
    }

    func testBadLabelsLeaveNothingBehind() throws {
        let out = NSTemporaryDirectory() + "medaug-prep-bad-\(getpid())"
        var options = DatasetPreparation.Options()
        options.side = 16
        XCTAssertThrowsError(try DatasetPreparation.prepare(subjects: [try subject()], classes: ["background", "core"],
                                                            labelValues: [0, 1], channelNames: ["T1"], options: options,
                                                            output: out)) { error in
            XCTAssertTrue("\(error)".contains("label value 4"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        let parent = (out as NSString).deletingLastPathComponent
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: parent).filter { $0.contains("medaug-prep-bad") }
        XCTAssertEqual(leftovers, [])
    }
}
