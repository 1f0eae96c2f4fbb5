"""Drop incomplete rows of the raw iris CSV."""
import argparse
import os

import pandas as pd

parser = argparse.ArgumentParser()
parser.add_argument("--raw", required=True)
parser.add_argument("--out", required=True)
args = parser.parse_args()

df = pd.read_csv(args.raw).dropna()
os.makedirs(args.out, exist_ok=True)
df.to_csv(os.path.join(args.out, "iris.csv"), index=False)
