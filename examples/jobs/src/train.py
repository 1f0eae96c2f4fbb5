"""Train a logistic-regression classifier on the iris CSV and save it as an MLflow model."""
import argparse

import mlflow
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--c", type=float, default=1.0)
    parser.add_argument("--kernel", default="linear")
    parser.add_argument("--model", default="outputs/model")
    args = parser.parse_args()

    df = pd.read_csv(args.data)
    x, y = df.drop(columns=["species"]), df["species"]
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, random_state=0)
    model = LogisticRegression(C=args.c, max_iter=500).fit(x_train, y_train)
    accuracy = model.score(x_test, y_test)
    mlflow.log_metric("accuracy", accuracy)
    mlflow.sklearn.save_model(model, args.model)


if __name__ == "__main__":
    main()
