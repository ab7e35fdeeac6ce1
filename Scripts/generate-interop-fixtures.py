#!/usr/bin/env python3
"""Writes the known answers of the Swift interop tests with real TensorFlow 2.15.1, once:
Tests/KMeansInteropTests/Fixtures/tensorflow.events, an events file written by TensorFlow's
own writer (tf.compat.v1.summary.FileWriter) with scalar summaries at fixed wall times, so the
Swift tests can check that swift-kmeans frames and encodes the same events into the same bytes
and reads TensorFlow's file.

Run from the repository root: python3 Scripts/generate-interop-fixtures.py
"""
import glob
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_environment import enter  # noqa: E402

ROOT, _ = enter()
import tensorflow as tf  # noqa: E402
from tensorflow.core.util import event_pb2  # noqa: E402

target = os.path.join(ROOT, "Tests", "KMeansInteropTests", "Fixtures", "tensorflow.events")
with tempfile.TemporaryDirectory() as scratch:
    with tf.Graph().as_default():
        writer = tf.compat.v1.summary.FileWriter(scratch)
        for step, loss in [(1, 1592637.0), (2, 1044022.5), (4, 995970.875)]:
            summary = tf.compat.v1.Summary(value=[
                tf.compat.v1.Summary.Value(tag="loss", simple_value=loss),
                tf.compat.v1.Summary.Value(tag="loss/raw", simple_value=loss)])
            event = event_pb2.Event(wall_time=1796300000.0 + step, step=step, summary=summary)
            writer.add_event(event)
        writer.close()
    [written] = glob.glob(os.path.join(scratch, "events.out.tfevents.*"))
    with open(written, "rb") as source, open(target, "wb") as destination:
        destination.write(source.read())
print(f"wrote {os.path.relpath(target, ROOT)}")
