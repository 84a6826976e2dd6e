import torch
from tensorflow import keras

if __name__ == "__main__":
    main()
