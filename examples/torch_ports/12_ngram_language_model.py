"""An n-gram language model and a bag-of-words classifier (the NLP tutorial idioms).

N-gram: two context words -> nn.Embedding -> `.view((1, -1))` -> Linear -> ReLU ->
Linear -> F.log_softmax, nn.NLLLoss, SGD one example at a time, indices built with
`torch.tensor([...], dtype=torch.long)`. Bag of words: a sparse count vector -> Linear ->
log_softmax, `autograd`-free inference under `torch.no_grad()`. Vocabularies are sorted
(a set's order changes from run to run); weights come from numpy.
"""
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

CONTEXT_SIZE = 2
EMBEDDING_DIM = 10
# a short text of our own; the model predicts each word from the two before it
test_sentence = """the river runs past the mill and the mill wheel turns the stone and the
stone grinds the grain that the farmer brings down the hill when the river runs high
the wheel turns fast and the flour is fine when the river runs low the wheel turns slow
and the farmer waits by the mill for the rain to come back to the hill""".split()

ngrams = [
    ([test_sentence[i - j - 1] for j in range(CONTEXT_SIZE)], test_sentence[i])
    for i in range(CONTEXT_SIZE, len(test_sentence))
]
vocab = sorted(set(test_sentence))
word_to_ix = {word: i for i, word in enumerate(vocab)}


class NGramLanguageModeler(nn.Module):

    def __init__(self, vocab_size, embedding_dim, context_size):
        super(NGramLanguageModeler, self).__init__()
        self.embeddings = nn.Embedding(vocab_size, embedding_dim)
        self.linear1 = nn.Linear(context_size * embedding_dim, 64)
        self.linear2 = nn.Linear(64, vocab_size)

    def forward(self, inputs):
        embeds = self.embeddings(inputs).view((1, -1))
        out = F.relu(self.linear1(embeds))
        out = self.linear2(out)
        log_probs = F.log_softmax(out, dim=1)
        return log_probs


def load_numpy_weights(model, rng):
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy((0.3 * rng.standard_normal(p.shape)).astype(np.float32)))


rng = np.random.default_rng(12)
losses = []
loss_function = nn.NLLLoss()
model = NGramLanguageModeler(len(vocab), EMBEDDING_DIM, CONTEXT_SIZE)
load_numpy_weights(model, rng)
optimizer = optim.SGD(model.parameters(), lr=0.02)

for epoch in range(4):
    total_loss = 0
    for context, target in ngrams:
        context_idxs = torch.tensor([word_to_ix[w] for w in context], dtype=torch.long)
        model.zero_grad()
        log_probs = model(context_idxs)
        loss = loss_function(log_probs, torch.tensor([word_to_ix[target]], dtype=torch.long))
        loss.backward()
        optimizer.step()
        total_loss += loss.item()
    losses.append(total_loss)
print("n-gram losses per epoch:", losses)
embedding_of_mill = model.embeddings.weight[word_to_ix["mill"]].tolist()

# ---- bag of words: which of two "languages" a sentence is written in -------------------
data = [("me gusta comer en la cafeteria".split(), "SPANISH"),
        ("give it to me".split(), "ENGLISH"),
        ("no creo que sea una buena idea".split(), "SPANISH"),
        ("no it is not a good idea to get lost at sea".split(), "ENGLISH")]
test_data = [("yo creo que si".split(), "SPANISH"),
             ("it is lost on me".split(), "ENGLISH")]
bow_ix = {}
for sent, _ in data + test_data:
    for word in sent:
        if word not in bow_ix:
            bow_ix[word] = len(bow_ix)
label_to_ix = {"SPANISH": 0, "ENGLISH": 1}


class BoWClassifier(nn.Module):
    def __init__(self, num_labels, vocab_size):
        super(BoWClassifier, self).__init__()
        self.linear = nn.Linear(vocab_size, num_labels)

    def forward(self, bow_vec):
        return F.log_softmax(self.linear(bow_vec), dim=1)


def make_bow_vector(sentence, word_to_ix):
    vec = torch.zeros(len(word_to_ix))
    for word in sentence:
        vec[word_to_ix[word]] += 1
    return vec.view(1, -1)


def make_target(label, label_to_ix):
    return torch.LongTensor([label_to_ix[label]])


bow = BoWClassifier(2, len(bow_ix))
load_numpy_weights(bow, rng)
with torch.no_grad():
    before = [bow(make_bow_vector(s, bow_ix)).tolist() for s, _ in test_data]
bow_optimizer = optim.SGD(bow.parameters(), lr=0.1)
for epoch in range(50):
    for instance, label in data:
        bow.zero_grad()
        log_probs = bow(make_bow_vector(instance, bow_ix))
        loss = loss_function(log_probs, make_target(label, label_to_ix))
        loss.backward()
        bow_optimizer.step()
with torch.no_grad():
    after = [bow(make_bow_vector(s, bow_ix)).tolist() for s, _ in test_data]
    creo_weights = next(bow.parameters())[:, bow_ix["creo"]].tolist()
print("bag of words, log-probs after training:", after)

results = {
    "ngram_losses": losses,
    "embedding_of_mill": embedding_of_mill,
    "vocab_size": len(vocab),
    "n_ngrams": len(ngrams),
    "bow_before": before,
    "bow_after": after,
    "creo_weights": creo_weights,
}

out_path = os.environ.get("TORCH_PORT_OUT")
if out_path:
    with open(out_path, "w") as f:
        json.dump(results, f)
else:
    print(json.dumps(results, indent=1))
